"""Writing to the audit trail. Every state-changing service and every view of patient identity calls these."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from liaison.audit.context import RequestOrigin, current_origin, origin_from_request
from liaison.audit.models import AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from liaison.accounts.models import User
    from liaison.org.models import Site


def _json_safe(details: dict[str, Any] | None) -> dict[str, Any]:
    # Round-trip now so the hashed value is exactly what the database gives back later.
    return json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder)) if details else {}


def audit_record(
    *,
    action: str,
    actor: User | AnonymousUser | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    site: Site | None = None,
    details: dict[str, Any] | None = None,
    origin: RequestOrigin | None = None,
) -> AuditEvent:
    """Append one event to the trail, in the caller's transaction if there is one.

    The event is written unsealed, without taking any lock: it gets its place in the hash chain from the
    sealer once its transaction has committed (``liaison.audit.sealing``).
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    origin = origin or current_origin.get() or RequestOrigin(ip_address=None, user_agent="")
    user = actor if actor is not None and actor.is_authenticated else None
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor=user,
        actor_email=user.email if user is not None else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        site=site,
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
        details=_json_safe(details),
    )
    event.save(force_insert=True)
    return event


def audit_view(*, request: HttpRequest, obj: models.Model, site: Site | None = None, what: str = "") -> AuditEvent:
    """Record that the signed-in user viewed a page showing this object's patient identity.

    Views call this once per page render of patient-identifying data; ``what`` names the page.
    """
    return audit_record(
        action="view",
        actor=request.user if request.user.is_authenticated else None,
        obj=obj,
        site=site,
        details={"page": what} if what else None,
        origin=origin_from_request(request),
    )


def model_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields that differ, as {"field": [before, after]}: what an update event stores."""
    keys = sorted(set(before) | set(after))
    return {key: [before.get(key), after.get(key)] for key in keys if before.get(key) != after.get(key)}


def snapshot(obj: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON-safe picture of a model's concrete fields (many-to-many fields as sorted id lists)."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        data[field.attname] = field.value_from_object(obj)
    if obj.pk is not None:
        for m2m in obj._meta.many_to_many:
            if m2m.name not in exclude:
                data[m2m.name] = sorted(getattr(obj, m2m.name).values_list("pk", flat=True))
    return _json_safe(data)
