"""Who may do what: the one capability table. Selectors, services, navigation and templates ask it.

A role tuple written anywhere else is a second truth that will drift, so there is none: code names a
capability (``Cap.CASE_WORK``) and asks :func:`can`, :func:`require` or :func:`users_with`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from liaison.accounts.models import Role
from liaison.lib.errors import NotAllowed

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from liaison.accounts.models import User
    from liaison.org.models import Site


class Cap(StrEnum):
    # Cases
    CASE_READ = "case.read"  # see the cases of one's sites (executives: without patient identity)
    CASE_IDENTITY = "case.identity"  # see who the patient and complainant are
    CASE_WORK = "case.work"  # log, triage, investigate, write to and close the cases of one's sites
    CASE_OWN = "case.own"  # be the owner of a case at one's sites
    # Investigations
    REQUEST_ANSWER = "request.answer"  # answer the investigation requests sent to one's departments
    REQUEST_RECEIVE = "request.receive"  # be sent a department's requests (chosen as its lead)
    # Letters and information
    LETTER_WORK = "letter.work"  # draft, edit and send letters
    LETTER_SIGN = "letter.sign"  # sign off final responses at one's sites
    TEMPLATE_EDIT = "template.edit"  # edit letter templates
    KNOWLEDGE_READ = "knowledge.read"
    KNOWLEDGE_EDIT = "knowledge.edit"
    KNOWLEDGE_OWN = "knowledge.own"  # may be named the owner who keeps an article accurate
    # Feedback and improvement
    FEEDBACK_WORK = "feedback.work"  # surveys, imports, corrections, example comments
    FEEDBACK_DASHBOARD = "feedback.dashboard"  # themes and counts
    IMPROVEMENT_READ = "improvement.read"
    IMPROVEMENT_WORK = "improvement.work"
    IMPROVEMENT_OWN = "improvement.own"  # may be named owner of an improvement action
    # Organisation
    ORG_READ = "org.read"
    ORG_EDIT = "org.edit"
    ADMIN = "admin"  # Django admin: users, roles, sites

    MEETING_WORK = "meeting.work"  # schedule, change and record meetings on the cases of one's sites
    ADVOCACY_WORK = "advocacy.work"  # act for patients with payers and agencies: appeals, contacts, deadlines
    INSIGHTS_READ = "insights.read"  # measures, dashboards, drill-downs, reports (executives: no identities)
    INSIGHTS_EXPORT = "insights.export"  # download lists and report tables as CSV/XLSX
    RETURNS_FILE = "returns.file"  # produce the regulators' returns (KO41a, annual report, grievance log, CQC)
    # Oversight
    AUDIT_READ = "audit.read"
    OVERSEE = "oversee"  # a manager's view: sign-offs, alerts about the site, approvals
    # Hiring and training
    PRACTICE = "practice"
    HIRING_READ = "hiring.read"
    HIRING_MANAGE = "hiring.manage"  # vacancies, kits, drills approval, decisions
    # Retention
    RETENTION_MANAGE = "retention.manage"  # a site's retention periods, automatic purging, what would be purged
    RETENTION_HOLD = "retention.hold"  # place and release legal holds on the cases of one's sites
    # Integrations
    API_TOKEN_OWN = "api.tokens"  # make and revoke API tokens for oneself (administrators: for anyone)
    WEBHOOKS_MANAGE = "webhooks.manage"  # register the URLs told of case events, see their deliveries


_OFFICE = frozenset({Role.OFFICER, Role.MANAGER})

CAPABILITIES: dict[Cap, frozenset[str]] = {
    Cap.CASE_READ: _OFFICE | {Role.EXECUTIVE},
    Cap.CASE_IDENTITY: _OFFICE,
    Cap.CASE_WORK: _OFFICE,
    Cap.CASE_OWN: _OFFICE,
    Cap.REQUEST_ANSWER: frozenset({Role.INVESTIGATOR}),
    Cap.REQUEST_RECEIVE: frozenset({Role.INVESTIGATOR, Role.MANAGER}),
    Cap.LETTER_WORK: _OFFICE,
    Cap.LETTER_SIGN: frozenset({Role.MANAGER}),
    Cap.TEMPLATE_EDIT: frozenset({Role.MANAGER, Role.ADMIN}),
    Cap.KNOWLEDGE_READ: _OFFICE | {Role.ADMIN},
    Cap.KNOWLEDGE_EDIT: frozenset({Role.MANAGER, Role.ADMIN}),
    Cap.KNOWLEDGE_OWN: _OFFICE | {Role.ADMIN},
    Cap.FEEDBACK_WORK: _OFFICE,
    Cap.FEEDBACK_DASHBOARD: _OFFICE | {Role.EXECUTIVE},
    Cap.IMPROVEMENT_READ: _OFFICE | {Role.EXECUTIVE},
    Cap.IMPROVEMENT_WORK: _OFFICE,
    Cap.IMPROVEMENT_OWN: frozenset(Role.values) - {Role.AUDITOR},
    Cap.ORG_READ: _OFFICE | {Role.ADMIN},
    Cap.ORG_EDIT: frozenset({Role.MANAGER, Role.ADMIN}),
    Cap.ADMIN: frozenset({Role.ADMIN}),
    Cap.MEETING_WORK: _OFFICE,
    Cap.ADVOCACY_WORK: _OFFICE,
    Cap.INSIGHTS_READ: _OFFICE | {Role.EXECUTIVE},
    Cap.INSIGHTS_EXPORT: _OFFICE | {Role.EXECUTIVE},
    Cap.RETURNS_FILE: frozenset({Role.MANAGER}),
    Cap.AUDIT_READ: frozenset({Role.AUDITOR}),
    Cap.OVERSEE: frozenset({Role.MANAGER}),
    Cap.PRACTICE: _OFFICE,
    Cap.HIRING_READ: _OFFICE,
    Cap.HIRING_MANAGE: frozenset({Role.MANAGER}),
    Cap.RETENTION_MANAGE: frozenset({Role.MANAGER}),
    Cap.RETENTION_HOLD: frozenset({Role.MANAGER}),
    Cap.API_TOKEN_OWN: _OFFICE | {Role.INVESTIGATOR, Role.EXECUTIVE, Role.ADMIN},
    Cap.WEBHOOKS_MANAGE: frozenset({Role.ADMIN}),
}

_MESSAGES: dict[Cap, str] = {
    Cap.CASE_WORK: "work on cases",
    Cap.LETTER_SIGN: "sign off letters",
    Cap.LETTER_WORK: "write letters",
    Cap.FEEDBACK_WORK: "work on feedback",
    Cap.IMPROVEMENT_WORK: "work on improvement actions",
}


def roles_for(cap: Cap) -> frozenset[str]:
    return CAPABILITIES[cap]


def can(user: User, cap: Cap, site_id: int | None = None) -> bool:
    """Whether ``user`` holds ``cap``; with ``site_id``, also whether they hold it at that site."""
    if not getattr(user, "is_authenticated", False) or not user.has_role(*CAPABILITIES[cap]):
        return False
    return site_id is None or site_id in user.site_ids


def require(user: User, cap: Cap, site_id: int | None = None, *, what: str = "") -> None:
    """Raise the domain error when :func:`can` says no."""
    if not can(user, cap, site_id):
        doing = what or _MESSAGES.get(cap, "do this")
        raise NotAllowed(f"You cannot {doing}{' at this site' if site_id is not None else ''}.")


def users_with(cap: Cap, site: Site | int | None = None) -> QuerySet[User]:
    """Active users who hold ``cap`` (at ``site`` when given): the one "users with role R at site S" query."""
    from liaison.accounts.models import User

    users = User.objects.filter(is_active=True, role_grants__role__in=CAPABILITIES[cap])
    if site is not None:
        users = users.filter(sites=site)
    return users.distinct()


def require_site_worker(user: User, site_id: int, *, what: str = "work on cases") -> None:
    """The rule for who works on a site's cases, letters, feedback and improvements."""
    require(user, Cap.CASE_WORK, site_id, what=what)
