"""PDF rendering with WeasyPrint, from the same HTML templates as the screen."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    try:
        from weasyprint import HTML
    except OSError as exc:  # the system's Pango library is missing
        raise RuntimeError(
            "PDF rendering needs the Pango library (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)."
        ) from exc
    html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.PACKAGE_DIR / "static")).write_pdf()


def pdf_available() -> bool:
    """Whether WeasyPrint can load its system libraries (Pango) here."""
    try:
        import weasyprint  # noqa: F401
    except OSError:
        return False
    return True


PDF_MISSING_REASON = "WeasyPrint needs Pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0); .ci/run installs it"
