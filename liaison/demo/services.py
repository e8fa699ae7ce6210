"""Loading the demo organisation, idempotently: running it again adds nothing that is already there."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from liaison.accounts.models import User
from liaison.accounts.services import user_create
from liaison.demo import data
from liaison.org.models import Department, Site, StaffMember
from liaison.org.services import department_create, site_create, staff_member_create


@dataclass
class DemoReport:
    sites: int = 0
    departments: int = 0
    staff: int = 0
    users: list[tuple[str, str]] = field(default_factory=list)  # (email, roles) of every demo login


def demo_load() -> DemoReport:
    report = DemoReport()
    with transaction.atomic():
        sites: dict[str, Site] = {}
        departments: dict[tuple[str, str], Department] = {}
        name_index = 0
        for spec in data.SITES:
            spec = dict(spec)
            dept_specs = spec.pop("departments")
            site = Site.objects.filter(code=spec["code"]).first()
            if site is None:
                site = site_create(acting_user=None, **spec)
                report.sites += 1
            sites[site.code] = site
            for dept_name, dept_code in dept_specs:
                dept = Department.objects.filter(site=site, name=dept_name).first()
                if dept is None:
                    dept = department_create(acting_user=None, site=site, name=dept_name, code=dept_code)
                    report.departments += 1
                departments[(site.code, dept_code)] = dept
                for title, group in data.STAFF_PATTERNS:
                    first = data.FIRST_NAMES[name_index % len(data.FIRST_NAMES)]
                    family = data.FAMILY_NAMES[(name_index * 7) % len(data.FAMILY_NAMES)]
                    name_index += 1
                    full_name = f"{first} {family}"
                    if not StaffMember.objects.filter(site=site, department=dept, full_name=full_name).exists():
                        staff_member_create(
                            acting_user=None,
                            site=site,
                            full_name=full_name,
                            job_title=title,
                            staff_group=group,
                            department=dept,
                        )
                        report.staff += 1
        for user_spec in data.USERS:
            email = str(user_spec["email"])
            roles = list(user_spec["roles"])
            if not User.objects.filter(email=email).exists():
                user = user_create(
                    acting_user=None,
                    email=email,
                    full_name=str(user_spec["full_name"]),
                    password=data.DEMO_PASSWORD,
                    roles=roles,
                    sites=[sites[code] for code in user_spec["sites"]],
                    departments=[departments[key] for key in user_spec.get("departments", [])],
                )
                for key in user_spec.get("departments", []):
                    departments[key].leads.add(user)
            report.users.append((email, ", ".join(roles)))
        manager = User.objects.get(email="manager@demo.liaison.example")
        Site.objects.filter(code__in=sites, responsible_person__isnull=True).update(responsible_person=manager)
        from liaison.knowledge.services import seed_articles_for_site

        for site in Site.objects.filter(code__in=sites):
            seed_articles_for_site(site)
    return report
