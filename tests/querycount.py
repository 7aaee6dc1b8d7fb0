"""Count the SQL statements a block of code issues (for the N+1 budgets). The SAVEPOINTs that the test
harness wraps each session's transaction in (tests/conftest.py) are not the code's and are not counted."""
from contextlib import contextmanager

from sqlalchemy import event

from models import db


SAVEPOINT_STATEMENTS = ("SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT ")


def is_savepoint(statement):
    return statement.lstrip().upper().startswith(SAVEPOINT_STATEMENTS)


@contextmanager
def count_queries():
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not is_savepoint(statement):
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
