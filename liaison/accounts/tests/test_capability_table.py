"""One capability table: who may do what is written once, in ``accounts/permissions.py``, and asked everywhere.

A role tuple or role check elsewhere is a second truth that drifts from the first, so a scan of the code and the
templates fails on one. Code that *grants* roles (account services, the admin's role form, demo data, migrations)
may name them; everything that *checks* asks ``can``, ``require`` or ``users_with`` for a capability.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Template
from django.test import RequestFactory

import liaison
from conftest import Cast
from liaison.accounts.models import Role, User
from liaison.accounts.navigation import navigation_for
from liaison.accounts.permissions import CAPABILITIES, Cap, can, roles_for, users_with

ROOT = Path(liaison.__file__).resolve().parent
REPO = ROOT.parent

# Where a role may be named: the table itself, the model that defines roles, and code that grants them.
EXEMPT_FILES: dict[str, str] = {
    "liaison/accounts/permissions.py": "the capability table",
    "liaison/accounts/models.py": "defines the roles, User.has_role and Django admin's is_staff-style checks",
    "liaison/accounts/services.py": "grants and revokes roles (and drops the cached role_codes after)",
    "liaison/accounts/admin.py": "the admin's user form grants roles and its list filters by them",
}
EXEMPT_DIRS = ("/tests/", "/migrations/", "liaison/demo/")

# Single role checks still outside the table, each with why. Remove an entry once its reason is gone.
ALLOWED: dict[tuple[str, str], str] = {}

ROLE_CHECK = re.compile(
    r"Role\.(?:" + "|".join(Role.names) + r")\b"  # a role by name
    r"|has_role\("  # a check against roles
    r"|role_grants__role"  # a query by role
    r"|role_codes"  # a user's roles, read directly
)


def _role_checks(paths: list[Path]) -> dict[tuple[str, str], list[int]]:
    found: dict[tuple[str, str], list[int]] = {}
    for path in paths:
        relative = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else path.name
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in ROLE_CHECK.finditer(line):
                found.setdefault((relative, match.group()), []).append(number)
    return found


def _python_files() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*.py"))
        if not any(part in f"/{path.relative_to(REPO).as_posix()}" for part in EXEMPT_DIRS)
        and path.relative_to(REPO).as_posix() not in EXEMPT_FILES
    ]


def _template_files() -> list[Path]:
    return sorted(ROOT.rglob("templates/**/*.html"))


def _unexplained(found: dict[tuple[str, str], list[int]]) -> list[str]:
    return [
        f"{path}:{lines[0]}: {token}" for (path, token), lines in sorted(found.items()) if (path, token) not in ALLOWED
    ]


def test_it_finds_no_role_check_in_code_outside_the_table() -> None:
    assert _unexplained(_role_checks(_python_files())) == [], (
        "Ask the capability table instead: can(user, Cap.X[, site_id]), require(...) or users_with(Cap.X, site); "
        "add a capability to liaison/accounts/permissions.py if none fits."
    )


def test_it_finds_no_role_check_in_templates() -> None:
    assert _template_files(), "the scan found no templates: has the folder moved?"
    found = _role_checks(_template_files())
    assert [f"{path}:{lines[0]}: {token}" for (path, token), lines in sorted(found.items())] == [], (
        'Pass a flag from the view, or {% load capabilities %}{% if user|can:"letter.sign" %}.'
    )


def test_the_scan_catches_a_role_tuple_and_a_role_query(tmp_path: Path) -> None:
    sample = tmp_path / "sample.html"
    sample.write_text(
        'READERS = (Role.OFFICER, Role.EXECUTIVE)\nif user.has_role("manager"): pass\n'
        "User.objects.filter(role_grants__role=x)\n{% if 'manager' in user.role_codes %}\n",
        encoding="utf-8",
    )
    found = _role_checks([sample])
    assert sorted(token for _, token in found) == [
        "Role.EXECUTIVE",
        "Role.OFFICER",
        "has_role(",
        "role_codes",
        "role_grants__role",
    ]


def test_every_allow_list_entry_and_exempt_file_is_still_needed() -> None:
    found = _role_checks(_python_files())
    assert [entry for entry in ALLOWED if entry not in found] == []
    assert [name for name in EXEMPT_FILES if not (REPO / name).exists()] == []


def test_every_capability_is_granted_to_at_least_one_known_role() -> None:
    assert set(CAPABILITIES) == set(Cap)
    for cap, roles in CAPABILITIES.items():
        assert roles, f"{cap} is granted to nobody"
        assert roles <= set(Role.values), f"{cap} names an unknown role"
        assert re.fullmatch(r"[a-z]+(\.[a-z_]+)?", cap.value), f"{cap} is not named area.verb"


def test_executives_read_cases_but_never_see_identity(cast: Cast) -> None:
    assert Role.EXECUTIVE in roles_for(Cap.CASE_READ)
    assert Role.EXECUTIVE not in roles_for(Cap.CASE_IDENTITY) | roles_for(Cap.CASE_WORK)
    assert can(cast.executive, Cap.CASE_READ, cast.rgh.pk)
    assert not can(cast.executive, Cap.CASE_IDENTITY)
    assert not can(cast.executive, Cap.CASE_WORK, cast.rgh.pk)


def test_investigators_answer_requests_but_do_not_read_cases(cast: Cast) -> None:
    assert can(cast.investigator, Cap.REQUEST_ANSWER)
    assert not can(cast.investigator, Cap.CASE_READ)
    assert not can(cast.investigator, Cap.CASE_IDENTITY)
    assert cast.investigator in users_with(Cap.REQUEST_ANSWER, cast.rgh)
    assert cast.officer not in users_with(Cap.REQUEST_ANSWER, cast.rgh)


def test_auditors_read_the_audit_trail_and_nothing_else(cast: Cast) -> None:
    assert [cap for cap, roles in CAPABILITIES.items() if Role.AUDITOR in roles] == [Cap.AUDIT_READ]
    assert roles_for(Cap.AUDIT_READ) == {Role.AUDITOR}
    assert [cap for cap in Cap if can(cast.auditor, cap)] == [Cap.AUDIT_READ]


def test_a_capability_at_a_site_needs_membership_of_the_site(cast: Cast) -> None:
    assert can(cast.outsider, Cap.CASE_WORK, cast.hpm.pk)
    assert not can(cast.outsider, Cap.CASE_WORK, cast.rgh.pk)
    assert list(users_with(Cap.LETTER_SIGN, cast.rgh)) == [cast.manager]
    assert list(users_with(Cap.LETTER_SIGN, cast.hpm)) == []


def test_a_deactivated_user_holds_no_capability(cast: Cast) -> None:
    cast.manager.is_active = False
    cast.manager.save(update_fields=["is_active"])
    manager = User.objects.get(pk=cast.manager.pk)
    assert [cap for cap in Cap if can(manager, cap)] == []
    assert manager not in users_with(Cap.OVERSEE, cast.rgh)


# The links each member of the cast saw when the list named roles (naming capabilities must not change them),
# plus the office's numbers (insights) for the office and executives.
NAVIGATION: dict[str, list[str]] = {
    "officer": [
        "My work",
        "Cases",
        "Log a case",
        "Letters",
        "Numbers",
        "Feedback",
        "Improvements",
        "Information",
        "Practice",
        "Hiring",
        "Organisation",
    ],
    "investigator": ["My work", "Requests"],
    "executive": ["My work", "Cases", "Numbers", "Feedback", "Improvements"],
    "auditor": ["My work", "Audit trail"],
    "admin": ["My work", "Information", "Organisation", "Administration"],
}
NAVIGATION["manager"] = [*NAVIGATION["officer"], "Retention"]  # retention periods and legal holds
NAVIGATION["outsider"] = NAVIGATION["officer"]


def test_the_navigation_shows_each_role_the_links_it_did_before(cast: Cast, settings: Any) -> None:
    settings.LIAISON_REQUIRE_MFA = False
    for name, user in cast.everyone().items():
        request = RequestFactory().get("/")
        request.user = user
        assert [item.label for item in navigation_for(request)] == NAVIGATION[name], name


def test_a_template_asks_the_table_through_the_can_filter(cast: Cast) -> None:
    template = Template('{% load capabilities %}{% if user|can:"letter.sign" %}sign{% else %}no{% endif %}')
    assert template.render(Context({"user": cast.manager})) == "sign"
    assert template.render(Context({"user": cast.officer})) == "no"
    with pytest.raises(ValueError):
        Template('{% load capabilities %}{{ user|can:"letter.sing" }}').render(Context({"user": cast.manager}))


def test_the_people_offered_in_choice_lists_are_those_the_table_names(cast: Cast) -> None:
    from liaison.improvement.forms import ActionForm
    from liaison.knowledge.forms import _owner_field
    from liaison.org.forms import DepartmentForm

    def names(queryset: Any) -> list[str]:
        return sorted(user.email.split("@")[0] for user in queryset)

    # Anyone at the site may own an improvement action except the auditor, who stays independent.
    assert names(ActionForm(site_id=cast.rgh.pk).fields["owner"].queryset) == [  # type: ignore[attr-defined]
        "admin",
        "executive",
        "investigator",
        "manager",
        "officer",
    ]
    # Department leads are sent the department's requests.
    assert names(DepartmentForm(site=cast.rgh).fields["leads"].queryset) == ["investigator", "manager"]  # type: ignore[attr-defined]
    assert names(_owner_field([cast.rgh]).queryset) == ["admin", "manager", "officer"]
