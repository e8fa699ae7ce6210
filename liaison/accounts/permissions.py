"""The one rule for who works on a site's cases, letters, feedback and improvements: its officers and managers."""

from __future__ import annotations

from liaison.accounts.models import Role, User
from liaison.lib.errors import ApplicationError


def require_site_worker(user: User, site_id: int, *, what: str = "work on cases") -> None:
    if not (user.has_role(Role.OFFICER, Role.MANAGER) and site_id in user.site_ids):
        raise ApplicationError(f"You cannot {what} at this site.")
