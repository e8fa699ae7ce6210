"""What an article says: its sanitised HTML, the site's rules it may quote, and its public address.

Article bodies are Django templates run at display time in the sandboxed engine of ``liaison.lib.sandbox``
(the one letter templates use: no template loading, bounded work) with two plain dictionaries: ``pack`` (the
numbers and names of the site's policy pack, taken from the pack modules) and ``site`` (the published
contacts). When a pack's rules change, every article that quotes them changes with it.
"""

from __future__ import annotations

import logging
from typing import Any

import nh3
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from liaison.correspondence.content import PHSO_NAME
from liaison.knowledge.models import Article
from liaison.lib import sandbox
from liaison.lib.emails import site_url
from liaison.org.models import Site
from liaison.policies import scotland_nhs, us_cms, wales_nhs
from liaison.policies.england_nhs import EnglandNHS
from liaison.policies.registry import get_pack

logger = logging.getLogger(__name__)

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "a"}
LINK_SCHEMES = ("http://", "https://", "mailto:")

# SI 2009/309 as the England pack applies it. The pack computes these inline rather than exposing
# constants, so they are stated here; test_content checks them against the pack's own clocks.
ENGLAND_ACKNOWLEDGE_WORKING_DAYS = 3  # reg. 13(2), UK-3
ENGLAND_RESPONSE_MONTHS = 6  # reg. 14(4), UK-8
ENGLAND_TIME_LIMIT_MONTHS = 12  # reg. 12, UK-2
OCR_FILING_DAYS = 180  # 45 CFR 160.306, HIPAA-14


def _keep_safe_links(element: str, attribute: str, value: str) -> str | None:
    if element == "a" and attribute == "href":
        return value if value.strip().lower().startswith(LINK_SCHEMES) else None
    return value


def sanitise(body: str) -> str:
    """Keep only simple formatting and http, https or mailto links; template tags survive as text."""
    return nh3.clean(body, tags=ALLOWED_TAGS, attributes={"a": {"href"}}, attribute_filter=_keep_safe_links)


def pack_numbers(site: Site) -> dict[str, Any]:
    """The timescales and bodies of the site's policy pack, as an article may quote them."""
    pack = get_pack(site.policy_pack)
    numbers: dict[str, Any] = {"key": pack.key, "name": pack.name}
    if isinstance(pack, EnglandNHS):
        numbers.update(
            acknowledge_working_days=ENGLAND_ACKNOWLEDGE_WORKING_DAYS,
            response_target_working_days=pack.default_response_working_days,
            response_months=ENGLAND_RESPONSE_MONTHS,
            time_limit_months=ENGLAND_TIME_LIMIT_MONTHS,
            ombudsman=PHSO_NAME,
        )
    elif pack.key == "scotland_nhs":
        numbers.update(
            acknowledge_working_days=scotland_nhs.ACKNOWLEDGE_DAYS,
            response_working_days=scotland_nhs.RESPOND_DAYS,
            ombudsman="Scottish Public Services Ombudsman",
        )
    elif pack.key == "wales_nhs":
        numbers.update(
            acknowledge_working_days=wales_nhs.ACKNOWLEDGE_DAYS,
            response_working_days=wales_nhs.RESPOND_DAYS,
            ombudsman="Public Services Ombudsman for Wales",
        )
    elif pack.key == "us_cms":
        numbers.update(
            interim_days=us_cms.INTERIM_DAYS,
            state_agency_name=site.state_agency_name,
            state_agency_contact=site.state_agency_contact,
            qio_name=site.qio_name,
            qio_contact=site.qio_contact,
            ocr_filing_days=OCR_FILING_DAYS,
        )
    return numbers


def site_numbers(site: Site) -> dict[str, str]:
    """The site as an article sees it: its name and published complaints contact, nothing else."""
    return {
        "name": site.name,
        "code": site.code,
        "address": site.address,
        "complaints_contact_name": site.complaints_contact_name,
        "complaints_contact_phone": site.complaints_contact_phone,
        "complaints_contact_email": site.complaints_contact_email,
        "complaints_contact_address": site.complaints_contact_address,
    }


def article_context(site: Site) -> dict[str, Any]:
    return {"pack": pack_numbers(site), "site": site_numbers(site)}


def check_template(body: str, site: Site) -> None:
    """Raise sandbox.TemplateRefused, with a message for the author, when the body cannot be rendered."""
    sandbox.check(body, article_context(site))


def render_body(body: str, site: Site) -> SafeString:
    """The body as a reader sees it: the site's numbers filled in, then sanitised again."""
    return render_body_and_problem(body, site)[0]


def render_body_and_problem(body: str, site: Site) -> tuple[SafeString, str]:
    """The body as a reader sees it, and why it could not be filled in (empty when it could), for the staff."""
    problem = ""
    try:
        rendered = sandbox.render(body, article_context(site))
    except sandbox.TemplateRefused as exc:
        # Bodies are checked when saved; one that still fails (e.g. saved before a check existed) is
        # shown as written rather than breaking the page.
        logger.warning("An article body could not be rendered for site %s", site.pk)
        rendered, problem = body, exc.message
    return mark_safe(sanitise(rendered)), problem  # noqa: S308 - nh3 has just removed everything but simple formatting


def article_public_path(site_code: str, key: str, language: str = "") -> str:
    path = reverse("knowledge:public-detail", args=[site_code, key])
    return f"{path}?{urlencode({'lang': language})}" if language else path


def article_public_url(article: Article) -> str:
    """The absolute public address of an article, opening in the article's language: for letters and emails."""
    return site_url(article_public_path(article.site.code, article.key, article.language))
