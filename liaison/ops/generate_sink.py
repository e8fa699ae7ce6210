"""Writing generated rows fast: PostgreSQL's COPY in batches, or plain INSERTs on SQLite.

Rows come as dicts keyed by the model's attribute names (a column left out gets the field's default, or
NULL, or '', as the ORM would give it) or, for the busiest tables, as whole lists in column order; either way
they are converted to what the database takes before they wait here. Primary keys of the tables whose rows
others point at are handed out here (``next_id``), after the rows already there, so children can name their
parents before anything is written; the sequences are moved past them at the end (``finish``).

Bulk mode (PostgreSQL, large runs): the secondary indexes of the tables being filled are dropped first and
built again at the end, which is several times faster than keeping them up to date row by row, and, for a
superuser, the foreign-key triggers are skipped for the transaction (``session_replication_role``), since
checking tens of millions of references one by one would take longer than writing them. The generator
makes every reference from rows it has just chosen, and the tests check them with the triggers on.
Everything happens in the caller's one transaction: a failure leaves the database as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, models

Row = dict[str, Any]


def json_encoder(*, sort_keys: bool) -> Callable[[Any], str]:
    """A JSON encoder (UTF-8 text, compact) made once: ``json.dumps`` builds a new one for every value."""
    separators = (",", ":")
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator in this Python: the plain encoder, slower but the same text
        return json.JSONEncoder(sort_keys=sort_keys, separators=separators, ensure_ascii=False).encode

    def refuse(value: Any) -> Any:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")

    encoder = make(None, refuse, json.encoder.encode_basestring, None, ":", ",", sort_keys, False, True)

    def encode(value: Any) -> str:
        return "".join(encoder(value, 0))

    return encode


_encode = json_encoder(sort_keys=False)


def _json(value: Any) -> Any:
    if value is None:
        return None
    return _encode(value) if value else ("{}" if isinstance(value, dict) else "[]")


class Table:
    """One model's table: its columns, how a row's values become column values, and the rows waiting."""

    def __init__(self, model: type[models.Model], *, sqlite: bool, keyed: bool) -> None:
        self.model = model
        self.name = model._meta.db_table
        # A table whose keys the generator does not choose leaves its key column to the database.
        fields = [f for f in model._meta.concrete_fields if keyed or not f.primary_key]
        self.attnames = [f.attname for f in fields]
        self.columns = [f.column for f in fields]
        self.defaults: list[Any] = []
        self.converters: list[Callable[[Any], Any] | None] = []
        for field in fields:
            default: Any
            if field.has_default():
                default = field.get_default()
            elif field.null:
                default = None
            else:
                default = ""
            internal = field.get_internal_type()
            convert: Callable[[Any], Any] | None = None
            if internal == "JSONField":
                convert = _json
            elif sqlite and internal == "DateTimeField":
                convert = connection.ops.adapt_datetimefield_value
            elif sqlite and internal == "DateField":
                convert = connection.ops.adapt_datefield_value
            self.defaults.append(default)
            self.converters.append(convert)
        self.waiting: list[list[Any]] = []  # rows ready to write, each value as the database takes it
        self.written = 0

    def expect(self, attnames: tuple[str, ...], *, encoded: tuple[str, ...] = ()) -> list[tuple[int, Any]]:
        """For a caller giving whole rows (lists in ``attnames`` order): check the model still has those columns,
        and return what converts such a row (the JSON columns named in ``encoded`` come encoded already)."""
        if tuple(self.attnames) != attnames:
            raise RuntimeError(f"{self.name} has the columns {self.attnames}, not {list(attnames)}: update generate")
        return [
            (n, convert)
            for n, (name, convert) in enumerate(zip(self.attnames, self.converters, strict=True))
            if convert is not None and name not in encoded
        ]

    def from_dicts(self, rows: Iterable[Row]) -> list[list[Any]]:
        """Rows given as dicts (a missing value takes the field's default), as the database takes them."""
        pairs = list(zip(self.attnames, self.defaults, self.converters, strict=True))
        out = []
        for row in rows:
            values = []
            for name, default, convert in pairs:
                value = row.get(name, default)
                values.append(convert(value) if convert is not None and value is not None else value)
            out.append(values)
        return out


def convert_lists(rows: list[list[Any]], converting: list[tuple[int, Any]]) -> list[list[Any]]:
    """Whole rows (from ``Table.expect``'s caller) converted in place."""
    if converting:
        for values in rows:
            for n, convert in converting:
                if values[n] is not None:
                    values[n] = convert(values[n])
    return rows


def tables_for(models_in_order: list[type[models.Model]], keyed: set[type[models.Model]]) -> dict[Any, Table]:
    sqlite = connection.vendor == "sqlite"
    return {model: Table(model, sqlite=sqlite, keyed=model in keyed) for model in models_in_order}


class Sink:
    """The tables of one run, written in the order given (parents before children)."""

    def __init__(self, models_in_order: list[type[models.Model]], *, keyed: set[type[models.Model]]) -> None:
        self.vendor = connection.vendor
        self.tables = tables_for(models_in_order, keyed)
        self.by_name = {table.name: table for table in self.tables.values()}
        self._next: dict[type[models.Model], int] = {}

    def table(self, model: type[models.Model]) -> Table:
        return self.tables[model]

    def next_id(self, model: type[models.Model], count: int = 1) -> int:
        """The first of ``count`` new primary keys for ``model``, after every key used so far."""
        if model not in self._next:
            self._next[model] = _highest_id(model) + 1
        value = self._next[model]
        self._next[model] = value + count
        return value

    def pending(self) -> int:
        return sum(len(table.waiting) for table in self.tables.values())

    def flush(self) -> None:
        with connection.cursor() as cursor:
            for table in self.tables.values():
                if not table.waiting:
                    continue
                if self.vendor == "postgresql":
                    _copy(cursor, table)
                else:
                    _insert(cursor, table)
                table.written += len(table.waiting)
                table.waiting.clear()  # in place: callers keep the bound ``append`` of this list

    def finish(self) -> None:
        """Move each sequence past the keys handed out, so the application's next row does not collide."""
        if self.vendor != "postgresql":
            return  # SQLite's AUTOINCREMENT already remembers the largest key inserted
        with connection.cursor() as cursor:
            for model, following in self._next.items():
                table = model._meta.db_table
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                if sequence:
                    cursor.execute("SELECT setval(%s, %s)", [sequence, following - 1])

    def counts(self) -> dict[str, int]:
        return {table.name: table.written for table in self.tables.values()}


def _highest_id(model: type[models.Model]) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - a model's own table name
        highest = int(cursor.fetchone()[0])
        if connection.vendor == "postgresql":
            # The sequence may be ahead of the rows (rolled-back inserts); never hand out a key it gave before.
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
            sequence = cursor.fetchone()[0]
            if sequence:
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 - from the catalogue
                last, called = cursor.fetchone()
                highest = max(highest, int(last) if called else int(last) - 1)
    return highest


def _copy(cursor: Any, table: Table) -> None:
    columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
    raw = cursor.connection.cursor()  # psycopg's own cursor: COPY is not part of the DB-API
    with raw.copy(f"COPY {connection.ops.quote_name(table.name)} ({columns}) FROM STDIN") as copy:
        for values in table.waiting:
            copy.write_row(values)


def _insert(cursor: Any, table: Table) -> None:
    columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
    marks = ", ".join(["%s"] * len(table.columns))
    sql = f"INSERT INTO {connection.ops.quote_name(table.name)} ({columns}) VALUES ({marks})"  # noqa: S608
    cursor.executemany(sql, table.waiting)


# -- Bulk mode (PostgreSQL) ---------------------------------------------------------------------------------


def is_superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def bulk_begin(tables: list[str]) -> list[str]:
    """Skip reference checks where allowed, drop the secondary indexes and the unique constraints no foreign key
    relies on; returns the statements that make them again.

    Partial indexes stay: their condition, printed and parsed again, comes back worded differently, and the
    planner might no longer match it to the queries it was written for. They hold few rows (open cases) anyway.
    """
    with connection.cursor() as cursor:
        # Run the checks still pending from the rows written so far (an index cannot be dropped under them);
        # from here on each COPY's checks run as it ends, so they never pile up until the commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if is_superuser():
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            WHERE c.contype = 'u' AND c.conrelid::regclass::text = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)
            ORDER BY 1, 2
            """,
            [tables],
        )
        constraints = cursor.fetchall()
        for table, name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
            WHERE t.relname = ANY(%s) AND NOT i.indisprimary AND i.indpred IS NULL
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    rebuild = [
        f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
        for table, name, definition in constraints
    ]
    return rebuild + [definition for _name, definition in indexes]


def bulk_end(statements: list[str]) -> None:
    """Build the dropped constraints and indexes again, with room to sort in memory; turn the checks back on."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for statement in statements:
            cursor.execute(statement)
        if is_superuser():
            cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def analyse(tables: list[str]) -> None:
    """Fresh planner statistics, so the first page after a big load does not plan for empty tables."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
