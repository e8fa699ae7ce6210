"""Who can reach what: every page, for every member of the shared cast."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import Cast

ROLES = ["officer", "manager", "investigator", "executive", "auditor", "admin", "outsider"]


def pages(cast: Cast) -> dict[str, str]:
    return {
        "my_work": reverse("home:my-work"),
        "account": reverse("accounts:account"),
        "org_list": reverse("org:site-list"),
        "rgh_site": reverse("org:site-detail", args=["RGH"]),
        "rgh_staff": reverse("org:staff-directory", args=["RGH"]),
        "rgh_department": reverse("org:department-detail", args=[cast.ed.pk]),
        "rgh_department_edit": reverse("org:department-edit", args=[cast.ed.pk]),
        "rgh_department_new": reverse("org:department-create", args=["RGH"]),
        "hpm_site": reverse("org:site-detail", args=["HPM"]),
        "hpm_department": reverse("org:department-detail", args=[cast.hpm_er.pk]),
        "audit_search": reverse("audit:search"),
        "audit_export": reverse("audit:export"),
        "admin": reverse("admin:index"),
    }


# Expected status for each page and role; 200 = allowed, 404 = hidden (never 403: we do not reveal what exists).
# The admin index redirects non-admins to the login page (302), as Django's admin does.
EXPECTED: dict[str, dict[str, int]] = {
    "my_work": dict.fromkeys(ROLES, 200),
    "account": dict.fromkeys(ROLES, 200),
    "org_list": {
        "officer": 200,
        "manager": 200,
        "investigator": 404,
        "executive": 404,
        "auditor": 404,
        "admin": 200,
        "outsider": 200,
    },
    "rgh_site": {
        "officer": 200,
        "manager": 200,
        "investigator": 404,
        "executive": 404,
        "auditor": 404,
        "admin": 200,
        "outsider": 404,
    },
    "rgh_staff": {
        "officer": 200,
        "manager": 200,
        "investigator": 404,
        "executive": 404,
        "auditor": 404,
        "admin": 200,
        "outsider": 404,
    },
    "rgh_department": {
        "officer": 200,
        "manager": 200,
        "investigator": 404,
        "executive": 404,
        "auditor": 404,
        "admin": 200,
        "outsider": 404,
    },
    "rgh_department_edit": {
        "officer": 404,
        "manager": 200,
        "investigator": 404,
        "executive": 404,
        "auditor": 404,
        "admin": 200,
        "outsider": 404,
    },
    "rgh_department_new": {
        "officer": 404,
        "manager": 200,
        "investigator": 404,
        "executive": 404,
        "auditor": 404,
        "admin": 200,
        "outsider": 404,
    },
    "hpm_site": {
        "officer": 404,
        "manager": 404,
        "investigator": 404,
        "executive": 404,
        "auditor": 404,
        "admin": 200,
        "outsider": 200,
    },
    "hpm_department": {
        "officer": 404,
        "manager": 404,
        "investigator": 404,
        "executive": 404,
        "auditor": 404,
        "admin": 200,
        "outsider": 200,
    },
    "audit_search": {
        "officer": 404,
        "manager": 404,
        "investigator": 404,
        "executive": 404,
        "auditor": 200,
        "admin": 404,
        "outsider": 404,
    },
    "audit_export": {
        "officer": 404,
        "manager": 404,
        "investigator": 404,
        "executive": 404,
        "auditor": 200,
        "admin": 404,
        "outsider": 404,
    },
    "admin": {
        "officer": 302,
        "manager": 302,
        "investigator": 302,
        "executive": 302,
        "auditor": 302,
        "admin": 200,
        "outsider": 302,
    },
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_pages(cast: Cast, as_user, role: str) -> None:
    client = as_user(getattr(cast, role))
    urls = pages(cast)
    got = {name: client.get(url).status_code for name, url in urls.items()}
    want = {name: EXPECTED[name][role] for name in urls}
    assert got == want


def test_anonymous_visitors_are_sent_to_sign_in_from_every_staff_page(cast: Cast, client) -> None:
    for name, url in pages(cast).items():
        response = client.get(url, follow=True)
        assert response.redirect_chain, name
        assert response.request["PATH_INFO"] == reverse("accounts:login"), name
        assert response.status_code == 200, name


def test_navigation_shows_only_the_links_a_role_may_open(cast: Cast, as_user) -> None:
    officer_page = as_user(cast.officer).get(reverse("home:my-work")).content.decode()
    auditor_page = as_user(cast.auditor).get(reverse("home:my-work")).content.decode()
    admin_page = as_user(cast.admin).get(reverse("home:my-work")).content.decode()
    assert "Organisation" in officer_page and "Audit trail" not in officer_page and "Administration" not in officer_page
    assert "Audit trail" in auditor_page and "Organisation" not in auditor_page
    assert "Administration" in admin_page


def test_a_deactivated_user_loses_access_at_once(cast: Cast, as_user) -> None:
    client = as_user(cast.officer)
    cast.officer.is_active = False
    cast.officer.save()
    response = client.get(reverse("org:site-detail", args=["RGH"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
