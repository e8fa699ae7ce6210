"""API tokens: shown once, stored as a digest, held to their scopes and their user's rights, revocable, expiring."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Cast
from liaison.accounts.models import ApiScope, ApiToken
from liaison.accounts.tokens import LAST_USE_EVERY, digest_of, token_authenticate, token_create, token_revoke
from liaison.audit.models import AuditEvent
from liaison.cases.services import case_open
from liaison.investigations import services as investigations
from liaison.lib.errors import ApplicationError


def _bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def request_for_ed(cast: Cast) -> Any:
    case = case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="letter",
        owner=cast.officer,
        patient_name="Tobias Tokentest",
        account="Nobody explained the delay.",
        issues=[{"category": "communication", "severity": 2, "department": cast.ed, "summary": "Delay"}],
    )
    return investigations.investigation_request(
        acting_user=cast.officer, case=case, department=cast.ed, questions="What happened?"
    )


def test_a_new_token_is_shown_once_and_only_its_digest_is_kept(cast: Cast) -> None:
    made = token_create(
        acting_user=cast.investigator, user=cast.investigator, name="Ward dashboard", scopes=[ApiScope.READ_CASES]
    )
    stored = ApiToken.objects.get(pk=made.token.pk)
    assert made.secret.startswith("lsn_") and len(made.secret) >= 40
    assert stored.digest == digest_of(made.secret) and made.secret not in json.dumps(
        list(ApiToken.objects.values()), default=str
    )
    assert stored.prefix == made.secret[:12] and stored.scopes == ["cases:read"]
    assert timedelta(days=89) < stored.expires_at - timezone.now() <= timedelta(days=90)
    event = AuditEvent.objects.get(action="api_token.create")
    assert event.actor == cast.investigator and event.details["scopes"] == ["cases:read"]
    assert made.secret not in json.dumps(event.details)


def test_a_token_cannot_carry_more_than_its_user_may_do(cast: Cast) -> None:
    with pytest.raises(ApplicationError, match="may not do what these scopes allow: cases:write"):
        token_create(acting_user=cast.executive, user=cast.executive, name="x", scopes=[ApiScope.WRITE_CASES])
    with pytest.raises(ApplicationError, match="Unknown scope"):
        token_create(acting_user=cast.officer, user=cast.officer, name="x", scopes=["everything"])
    with pytest.raises(ApplicationError, match="from 1 to 366 days"):
        token_create(acting_user=cast.officer, user=cast.officer, name="x", scopes=[ApiScope.READ_CASES], days=400)
    assert not ApiToken.objects.exists()


def test_only_an_administrator_makes_a_token_for_someone_else(cast: Cast) -> None:
    with pytest.raises(ApplicationError):
        token_create(acting_user=cast.manager, user=cast.officer, name="x", scopes=[ApiScope.READ_CASES])
    with pytest.raises(ApplicationError):
        token_create(acting_user=cast.auditor, user=cast.auditor, name="x", scopes=[ApiScope.READ_CASES])
    made = token_create(acting_user=cast.admin, user=cast.officer, name="Warehouse", scopes=[ApiScope.READ_CASES])
    assert made.token.user == cast.officer and made.token.created_by == cast.admin


def test_a_token_calls_the_api_within_its_scope_and_its_use_is_recorded(cast: Cast, request_for_ed: Any) -> None:
    made = token_create(
        acting_user=cast.investigator, user=cast.investigator, name="Ward screen", scopes=[ApiScope.READ_CASES]
    )
    client = _bearer(made.secret)
    listed = client.get("/api/v1/investigations/requests", REMOTE_ADDR="203.0.113.9")
    assert listed.status_code == 200
    assert [item["id"] for item in json.loads(listed.content)["items"]] == [request_for_ed.pk]
    one = client.get(f"/api/v1/investigations/requests/{request_for_ed.pk}", REMOTE_ADDR="203.0.113.9")
    assert one.status_code == 200 and json.loads(one.content)["questions"] == "What happened?"
    # Audited like the page: the token's user is the actor.
    viewed = AuditEvent.objects.filter(actor=cast.investigator, object_id=str(request_for_ed.case_id), action="view")
    assert viewed.exists()
    stored = ApiToken.objects.get(pk=made.token.pk)
    assert stored.last_used_at is not None and stored.last_used_ip == "203.0.113.9"


def test_a_token_without_the_scope_or_on_a_sessions_only_operation_gets_403(cast: Cast, request_for_ed: Any) -> None:
    made = token_create(
        acting_user=cast.investigator, user=cast.investigator, name="Writer", scopes=[ApiScope.WRITE_CASES]
    )
    client = _bearer(made.secret)
    refused = client.get("/api/v1/investigations/requests")
    assert refused.status_code == 403 and "cases:read" in json.loads(refused.content)["message"]
    assert client.get("/api/v1/hiring/interviews/1/scores").status_code == 403


def test_revoked_expired_unknown_and_disabled_tokens_get_401(cast: Cast, request_for_ed: Any) -> None:
    url = "/api/v1/investigations/requests"
    revoked = token_create(acting_user=cast.investigator, user=cast.investigator, name="a", scopes=["cases:read"])
    assert _bearer(revoked.secret).get(url).status_code == 200
    token_revoke(acting_user=cast.investigator, token=revoked.token)
    assert _bearer(revoked.secret).get(url).status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoke", actor=cast.investigator).exists()
    with pytest.raises(ApplicationError, match="revoked already"):
        token_revoke(acting_user=cast.investigator, token=revoked.token)

    expired = token_create(acting_user=cast.investigator, user=cast.investigator, name="b", scopes=["cases:read"])
    ApiToken.objects.filter(pk=expired.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _bearer(expired.secret).get(url).status_code == 401

    assert _bearer("lsn_" + "x" * 40).get(url).status_code == 401
    assert _bearer("not-a-token").get(url).status_code == 401

    live = token_create(acting_user=cast.investigator, user=cast.investigator, name="c", scopes=["cases:read"])
    cast.investigator.is_active = False
    cast.investigator.save(update_fields=["is_active"])
    assert _bearer(live.secret).get(url).status_code == 401


def test_someone_else_cannot_revoke_my_token_but_an_administrator_can(cast: Cast) -> None:
    made = token_create(acting_user=cast.officer, user=cast.officer, name="Mine", scopes=["cases:read"])
    with pytest.raises(ApplicationError):
        token_revoke(acting_user=cast.manager, token=made.token)
    assert ApiToken.objects.get(pk=made.token.pk).revoked_at is None
    token_revoke(acting_user=cast.admin, token=made.token)
    stored = ApiToken.objects.get(pk=made.token.pk)
    assert stored.revoked_at is not None and stored.revoked_by == cast.admin


def test_losing_a_role_takes_the_scope_from_the_token_too(cast: Cast) -> None:
    made = token_create(acting_user=cast.officer, user=cast.officer, name="x", scopes=["cases:read", "cases:write"])
    use = token_authenticate(made.secret, ip_address=None)
    assert use is not None and use.scopes == {"cases:read", "cases:write"}
    cast.officer.role_grants.all().delete()
    use = token_authenticate(made.secret, ip_address=None)
    assert use is not None and use.scopes == frozenset()


def test_last_use_is_written_at_most_once_a_minute_from_the_same_address(cast: Cast) -> None:
    made = token_create(acting_user=cast.officer, user=cast.officer, name="x", scopes=["cases:read"])
    now = timezone.now()
    token_authenticate(made.secret, ip_address="192.0.2.1", now=now)
    token_authenticate(made.secret, ip_address="192.0.2.1", now=now + timedelta(seconds=30))
    assert ApiToken.objects.get(pk=made.token.pk).last_used_at == now
    later = now + LAST_USE_EVERY
    token_authenticate(made.secret, ip_address="192.0.2.1", now=later)
    assert ApiToken.objects.get(pk=made.token.pk).last_used_at == later


def test_token_calls_are_rate_limited(cast: Cast, request_for_ed: Any, settings) -> None:
    settings.LIAISON_API_TOKEN_RATE_PER_MINUTE = 3
    made = token_create(acting_user=cast.investigator, user=cast.investigator, name="x", scopes=["cases:read"])
    client = _bearer(made.secret)
    statuses = [client.get("/api/v1/investigations/requests").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_tokens_page_shows_a_new_token_once_lists_it_and_revokes_it(cast: Cast, as_user) -> None:
    client = as_user(cast.officer)
    page = client.get("/accounts/account/tokens/")
    assert page.status_code == 200 and "Make a token" in page.content.decode()
    made = client.post("/accounts/account/tokens/", {"name": "Warehouse", "scopes": ["cases:read"], "days": "30"})
    body = made.content.decode()
    assert made.status_code == 200 and "shown only this once" in body
    token = ApiToken.objects.get(user=cast.officer, name="Warehouse")
    secret = body.split('id="token-secret" type="text" readonly value="', 1)[1].split('"', 1)[0]
    assert digest_of(secret) == token.digest and token.scopes == ["cases:read"]
    again = client.get("/accounts/account/tokens/").content.decode()
    assert secret not in again and f"{token.prefix}…" in again and "Never" in again and "Active" in again

    revoked = client.post(f"/accounts/account/tokens/{token.pk}/revoke/", follow=True).content.decode()
    assert "is revoked" in revoked and "Revoked" in revoked
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_the_page_offers_only_the_scopes_its_user_holds_and_refuses_others(cast: Cast, as_user) -> None:
    client = as_user(cast.executive)
    page = client.get("/accounts/account/tokens/").content.decode()
    assert 'value="measures:read"' in page and 'value="cases:write"' not in page
    refused = client.post("/accounts/account/tokens/", {"name": "x", "scopes": ["cases:write"], "days": "30"})
    assert refused.status_code == 400 and not ApiToken.objects.exists()
    assert as_user(cast.auditor).get("/accounts/account/tokens/").status_code == 404


def test_an_administrator_makes_a_token_for_a_service_account_and_sees_everyones(cast: Cast, as_user) -> None:
    own = token_create(acting_user=cast.officer, user=cast.officer, name="Officer's", scopes=["cases:read"])
    client = as_user(cast.admin)
    made = client.post(
        "/accounts/account/tokens/",
        {"name": "Nightly load", "scopes": ["cases:read"], "days": "366", "user": str(cast.officer.pk)},
    )
    assert made.status_code == 200
    token = ApiToken.objects.get(name="Nightly load")
    assert token.user == cast.officer and token.created_by == cast.admin
    listed = client.get("/accounts/account/tokens/").content.decode()
    assert "Everyone else" in listed and own.token.prefix in listed
    client.post(f"/accounts/account/tokens/{own.token.pk}/revoke/")
    assert ApiToken.objects.get(pk=own.token.pk).revoked_by == cast.admin
    # Another officer cannot reach the officer's token at all.
    assert as_user(cast.manager).post(f"/accounts/account/tokens/{token.pk}/revoke/").status_code == 404


def test_counted_attempts_older_than_a_day_are_pruned(cast: Cast, request_for_ed: Any) -> None:
    from liaison.lib import ratelimit
    from liaison.public.models import PublicAttempt
    from liaison.public.tasks import attempts_prune

    made = token_create(acting_user=cast.investigator, user=cast.investigator, name="x", scopes=["cases:read"])
    _bearer(made.secret).get("/api/v1/investigations/requests")
    PublicAttempt.objects.create(kind="api-token", key_hash="old")
    PublicAttempt.objects.filter(key_hash="old").update(created_at=timezone.now() - ratelimit.KEEP_ATTEMPTS * 2)
    assert attempts_prune.call() == 1
    assert list(PublicAttempt.objects.values_list("kind", flat=True)) == ["api-token"]


def test_every_api_error_has_one_shape_a_message_and_extra(cast: Cast, request_for_ed: Any, settings) -> None:
    settings.LIAISON_API_TOKEN_RATE_PER_MINUTE = 2
    made = token_create(acting_user=cast.investigator, user=cast.investigator, name="x", scopes=["cases:read"])
    client = _bearer(made.secret)
    answers = {
        401: Client().get("/api/v1/investigations/requests"),
        404: client.get("/api/v1/investigations/requests/999999"),
        422: client.get("/api/v1/investigations/requests?limit=0"),
        429: client.get("/api/v1/investigations/requests"),
        403: _bearer(
            token_create(acting_user=cast.investigator, user=cast.investigator, name="y", scopes=["cases:read"]).secret
        ).get("/api/v1/hiring/interviews/1/scores"),
    }
    for status, answer in answers.items():
        body = json.loads(answer.content)
        assert answer.status_code == status and set(body) == {"message", "extra"}, (status, body)
        assert isinstance(body["message"], str) and body["message"]
    assert "API token" in json.loads(answers[401].content)["message"]
    assert json.loads(answers[422].content)["extra"]["errors"][0]["loc"][-1] == "limit"


def test_the_api_docs_are_for_signed_in_staff_and_load_their_own_assets(cast: Cast, as_user) -> None:
    assert Client().get("/api/v1/docs").status_code == 302  # to the sign-in page
    assert Client().get("/api/v1/openapi.json").status_code == 302
    client = as_user(cast.officer)
    docs = client.get("/api/v1/docs")
    page = docs.content.decode()
    assert docs.status_code == 200 and "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
    spec = json.loads(client.get("/api/v1/openapi.json").content)
    assert "/api/v1/investigations/requests" in spec["paths"]


def test_a_second_live_token_of_the_same_name_is_refused_so_a_reloaded_form_makes_nothing(cast: Cast) -> None:
    first = token_create(acting_user=cast.officer, user=cast.officer, name="Warehouse", scopes=[ApiScope.READ_CASES])
    with pytest.raises(ApplicationError, match="already a token named “Warehouse”"):
        token_create(acting_user=cast.officer, user=cast.officer, name="Warehouse", scopes=[ApiScope.READ_CASES])
    assert ApiToken.objects.filter(user=cast.officer).count() == 1
    token_revoke(acting_user=cast.officer, token=first.token)
    token_create(acting_user=cast.officer, user=cast.officer, name="Warehouse", scopes=[ApiScope.READ_CASES])
    assert ApiToken.objects.filter(user=cast.officer, name="Warehouse").count() == 2
