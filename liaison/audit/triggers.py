"""Database triggers that make the audit table append-only, for PostgreSQL and SQLite.

One UPDATE is let through: sealing. An event is written unsealed (no place in the chain yet) and the sealer
fills in its position, the previous event's hash and its own hash exactly once (``liaison.audit.sealing``).
Every other column must stay as it was, and a sealed event can never be updated again. DELETE is refused.
"""

from __future__ import annotations

from typing import Any

TABLE = "audit_auditevent"
MESSAGE = "audit events are append-only: UPDATE and DELETE are refused"

# The columns an event is written with; sealing may not touch any of them.
CONTENT = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_email",
    "action",
    "object_type",
    "object_id",
    "site_id",
    "ip_address",
    "user_agent",
    "details",
)


def _row(prefix: str) -> str:
    return "(" + ", ".join(f"{prefix}.{column}" for column in CONTENT) + ")"


POSTGRES_CREATE = f"""
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND OLD.hash IS NULL
       AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
       AND {_row("NEW")} IS NOT DISTINCT FROM {_row("OLD")} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_append_only ON {TABLE};
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
"""
POSTGRES_DROP = f"DROP TRIGGER IF EXISTS audit_append_only ON {TABLE}; DROP FUNCTION IF EXISTS audit_refuse_change();"

_SQLITE_SEALING = (
    "OLD.seq IS NULL AND OLD.hash IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL AND "
    + " AND ".join(f"NEW.{column} IS OLD.{column}" for column in CONTENT)
)
SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON {TABLE} WHEN NOT ({_SQLITE_SEALING}) "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS audit_no_update;", "DROP TRIGGER IF EXISTS audit_no_delete;"]


def create(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_CREATE)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_CREATE:
                cursor.execute(statement)
        else:
            raise NotImplementedError(f"No append-only triggers for {connection.vendor}")


def drop(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_DROP)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_DROP:
                cursor.execute(statement)
