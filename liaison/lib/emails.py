"""Every email Liaison sends is a template set — subject, text and HTML — built by one helper.

Emails to staff carry the case reference and a link, never a patient's name: the link leads to the
permission-checked, audited page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def site_url(path: str) -> str:
    return settings.LIAISON_BASE_URL.rstrip("/") + path


def send_templated(
    template: str,
    context: dict[str, Any],
    *,
    to: Iterable[str],
    attachments: Iterable[tuple[str, bytes, str]] = (),
    reply_to: Iterable[str] = (),
) -> int:
    """Render ``email/<template>_subject.txt``, ``_body.txt`` and ``_body.html`` and send them; returns 1 if sent."""
    recipients = sorted({address for address in to if address})
    if not recipients:
        return 0
    context = {"base_url": settings.LIAISON_BASE_URL.rstrip("/"), **context}
    subject = " ".join(render_to_string(f"email/{template}_subject.txt", context).split())
    text = render_to_string(f"email/{template}_body.txt", context)
    html = render_to_string(f"email/{template}_body.html", context)
    message = EmailMultiAlternatives(subject, text, to=recipients, reply_to=list(reply_to) or None)
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message.send()
