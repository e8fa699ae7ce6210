"""Marking what staff wrote on a page shown in another language (WCAG 3.1.2, language of parts).

Staff write surveys, departments and "You said, we did" in the office's language, ``settings.LANGUAGE_CODE``;
on a Spanish page those words must say they are English, or a screen reader reads them with Spanish sounds.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import get_language


def staff_language_if_other() -> str:
    """The language staff write in, when the page is in another one; "" when there is nothing to mark."""
    staff = settings.LANGUAGE_CODE
    page = get_language() or staff
    return "" if page.split("-")[0].lower() == staff.split("-")[0].lower() else staff


def in_staff_language(text: str) -> str:
    """``text`` (escaped) in a span saying its language, when the page is in another; otherwise as it is."""
    language = staff_language_if_other()
    return format_html('<span lang="{}">{}</span>', language, text) if language else text
