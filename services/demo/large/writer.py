"""Bulk writing: rows buffered and inserted by COPY (PostgreSQL) or executemany, ids given here."""
from collections import defaultdict

from sqlalchemy import func, insert, select, text
from sqlalchemy.schema import AddConstraint, DropConstraint

from models import db

CHUNK = 20_000
BULK_TABLES = ("lesson", "task", "mark", "attendance", "period_mark")  # PostgreSQL: keys checked at the end


class _Writer:
    """Buffered bulk inserts, with ids given here (after the largest one already in the table).

    PostgreSQL: COPY. Elsewhere (SQLite): the INSERT compiled by SQLAlchemy Core, run by the driver's
    executemany, the values passed through the columns' own bind processors first — what
    `session.execute(insert(table), rows)` does, but once per distinct value (a lesson's marks share
    their timestamps), which halves the time. A row without "id" gets one at the flush.
    """

    def __init__(self, counts):
        self.counts = counts
        self.buffers = defaultdict(list)
        self.next_ids = {}
        self.dialect = db.session.get_bind().dialect
        self.postgres = self.dialect.name == "postgresql"

    def ids(self, model, n=1):
        """The first of `n` fresh ids of the table."""
        table = _table(model)
        if table.name not in self.next_ids:
            self.next_ids[table.name] = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
        first = self.next_ids[table.name]
        self.next_ids[table.name] += n
        return first

    def buffer(self, model):
        """The list a table's rows are appended to (the same list after every flush)."""
        return self.buffers[_table(model).name]

    def add(self, model, row):
        self.buffers[_table(model).name].append(row)

    def add_many(self, model, rows):
        self.buffers[_table(model).name].extend(rows)

    def pending(self, model):
        return len(self.buffers[_table(model).name])

    def flush(self, *models):
        """Write the buffered rows of the tables, in the order given (parents first)."""
        for model in models:
            table = _table(model)
            rows = self.buffers[table.name]
            if not rows:
                continue
            self.counts[table.name] += len(rows)
            keys = [k for k in rows[0] if k in table.c]
            numbered = "id" in table.c and table.c.id.primary_key and "id" not in keys
            first = self.ids(table, len(rows)) if numbered else None
            extra = {c.name: (c.default.arg(None) if callable(c.default.arg) else c.default.arg)
                     for c in table.columns if c.name not in keys and c.default is not None and not c.primary_key}
            names = (["id"] if numbered else []) + keys + list(extra)

            def values(rows=rows, tail=tuple(extra.values())):
                if numbered:
                    return (((first + i,) + tuple(row[k] for k in keys) + tail) for i, row in enumerate(rows))
                return (tuple(row[k] for k in keys) + tail for row in rows)

            if self.postgres:
                self._copy(table, names, values())
            else:
                self._insert(table, names, values())
            rows.clear()

    def _copy(self, table, names, values):
        raw = db.session.connection().connection.dbapi_connection
        columns = ", ".join(f'"{c}"' for c in names)
        with raw.cursor() as cursor:
            with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                for row in values:
                    copy.write_row(row)

    def _insert(self, table, names, values):
        compiled = insert(table).compile(dialect=self.dialect, column_keys=names)
        order = [names.index(name) for name in compiled.positiontup]
        processors = [self._processor(table.c[name]) for name in names]
        cursor = db.session.connection().connection.dbapi_connection.cursor()
        batch = []
        for row in values:
            batch.append(tuple(row[i] if processors[i] is None else processors[i](row[i]) for i in order))
            if len(batch) >= CHUNK:
                cursor.executemany(compiled.string, batch)
                batch = []
        if batch:
            cursor.executemany(compiled.string, batch)
        cursor.close()

    def _processor(self, column):
        process = column.type.dialect_impl(self.dialect).bind_processor(self.dialect)
        if process is None:
            return None
        memo = {}

        def run(value):
            if value is None:
                return None
            try:
                return memo[value]
            except KeyError:
                memo[value] = result = process(value)
                return result
            except TypeError:  # unhashable (a JSON value)
                return process(value)
        return run

    def drop_foreign_keys(self):
        """PostgreSQL checks a foreign key by a trigger per row, which takes most of a COPY's time: the
        big tables' keys are dropped for the load and added back by `finish` (which checks every row
        at once), all in the load's transaction («Populating a Database» in PostgreSQL's manual)."""
        self.dropped = []
        if not self.postgres:
            return
        for name in BULK_TABLES:
            for constraint in sorted(db.metadata.tables[name].foreign_key_constraints, key=lambda c: c.name):
                db.session.execute(DropConstraint(constraint))
                self.dropped.append(constraint)

    def finish(self):
        """Add the foreign keys back (checking every row); move PostgreSQL's sequences past the ids."""
        if not self.postgres:
            return
        for constraint in self.dropped:
            db.session.execute(AddConstraint(constraint))
        for name in sorted(self.next_ids):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                    f"(SELECT coalesce(max(id), 1) FROM \"{name}\"))"))

    def analyze(self):
        """Fresh planner statistics for the loaded tables (PostgreSQL would gather them later itself)."""
        if self.postgres:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))


def _table(model):
    return getattr(model, "__table__", model)
