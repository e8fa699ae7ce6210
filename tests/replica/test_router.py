"""The database router on its own: where each read and write goes, in and out of a replica scope.

These use the test settings (no replica configured) and a router told the replica's alias, so they need no
second database: they check the decision, not the connection.
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import Cast
from liaison.accounts.models import RoleGrant, User
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case
from liaison.feedback.models import FeedbackResponse
from liaison.lib.dbrouter import PrimaryReplicaRouter, in_replica_scope, replica_alias, replica_reads
from liaison.org.models import Site

REPLICA = "replica"


@pytest.fixture
def routed() -> PrimaryReplicaRouter:
    return PrimaryReplicaRouter(replica=REPLICA)


def test_without_a_replica_configured_every_read_goes_to_the_primary() -> None:
    assert replica_alias() is None
    with replica_reads():
        assert in_replica_scope()
        assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
        assert router.db_for_read(FeedbackResponse) == DEFAULT_DB_ALIAS
    assert router.db_for_write(Case) == DEFAULT_DB_ALIAS


def test_case_and_feedback_reads_go_to_the_replica_only_inside_a_replica_scope(routed: PrimaryReplicaRouter) -> None:
    assert routed.db_for_read(Case) == DEFAULT_DB_ALIAS
    with replica_reads():
        assert routed.db_for_read(Case) == REPLICA
        assert routed.db_for_read(FeedbackResponse) == REPLICA
        assert routed.db_for_read(Site) == REPLICA
    assert not in_replica_scope()
    assert routed.db_for_read(Case) == DEFAULT_DB_ALIAS


def test_identity_rights_sessions_and_the_audit_trail_are_read_from_the_primary(routed: PrimaryReplicaRouter) -> None:
    user = User(email="someone@rgh.example", full_name="Someone")
    with replica_reads():
        for model in (User, RoleGrant, Session, TOTPDevice, AuditEvent):
            assert routed.db_for_read(model) == DEFAULT_DB_ALIAS, model
        # ``user.sites`` reads Site rows with the user as the instance: the user's sites decide what they see.
        assert routed.db_for_read(Site, instance=user) == DEFAULT_DB_ALIAS
        assert routed.db_for_read(Site, instance=Case()) == REPLICA


def test_writes_go_to_the_primary_even_inside_a_replica_scope(routed: PrimaryReplicaRouter) -> None:
    with replica_reads():
        for model in (Case, FeedbackResponse, AuditEvent, Site):
            assert routed.db_for_write(model) == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)
def test_a_read_inside_a_transaction_belongs_to_it_and_goes_to_the_primary(routed: PrimaryReplicaRouter) -> None:
    with replica_reads():
        with transaction.atomic():
            assert routed.db_for_read(Case) == DEFAULT_DB_ALIAS
        assert routed.db_for_read(Case) == REPLICA


@pytest.mark.django_db(transaction=True)
def test_the_audit_row_a_marked_view_writes_is_written_and_read_on_the_primary(
    cast: Cast, sqlite_flushable_audit: object
) -> None:
    from liaison.audit.services import audit_record

    with replica_reads():
        event = audit_record(action="insights.dashboard_view", actor=cast.manager, details={"sites": ["RGH"]})
    assert event._state.db == DEFAULT_DB_ALIAS
    assert AuditEvent.objects.filter(pk=event.pk, action="insights.dashboard_view").exists()


def test_objects_from_either_database_may_be_related_and_migrations_run_on_the_primary_only(
    routed: PrimaryReplicaRouter,
) -> None:
    from_replica, from_primary, elsewhere = Case(), Site(), Site()
    from_replica._state.db, from_primary._state.db, elsewhere._state.db = REPLICA, DEFAULT_DB_ALIAS, "archive"
    assert routed.allow_relation(from_replica, from_primary) is True
    assert routed.allow_relation(from_primary, from_primary) is True
    assert routed.allow_relation(from_replica, elsewhere) is None  # not ours to decide
    assert routed.allow_migrate(REPLICA, "cases", "case") is False
    assert routed.allow_migrate(DEFAULT_DB_ALIAS, "cases", "case") is None  # Django's default: yes


def test_the_scope_ends_with_its_block_even_on_an_error_and_never_crosses_threads(
    routed: PrimaryReplicaRouter,
) -> None:
    seen_in_thread: list[str] = []

    def other_request() -> None:
        seen_in_thread.append(routed.db_for_read(Case))

    with pytest.raises(RuntimeError), replica_reads():
        # A second request served by another thread of the same worker starts outside the scope.
        thread = threading.Thread(target=other_request)
        thread.start()
        thread.join()
        with replica_reads():
            pass
        assert routed.db_for_read(Case) == REPLICA  # a nested scope leaves the outer one as it was
        raise RuntimeError("the view failed")
    assert seen_in_thread == [DEFAULT_DB_ALIAS]
    assert not in_replica_scope()
    assert routed.db_for_read(Case) == DEFAULT_DB_ALIAS


def test_the_router_is_installed_for_every_database_setting() -> None:
    from django.conf import settings

    assert settings.DATABASE_ROUTERS == ["liaison.lib.dbrouter.PrimaryReplicaRouter"]
    assert isinstance(router.routers[0], PrimaryReplicaRouter)
