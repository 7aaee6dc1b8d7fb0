"""The declarative base and the Flask-SQLAlchemy object every model module builds on (no model imports the
`models` package itself: it re-exports them)."""
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Session(FlaskSession):
    """Flask-SQLAlchemy's session, whose engine for one statement may be chosen by `route(clause)` when one is
    installed: services/database.py sends a read-only report's SELECTs to the read replica
    (`DATABASE_REPLICA_URL`); None there, or no route, is the primary's engine as always."""

    route = None

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and Session.route is not None:
            engine = Session.route(clause)
            if engine is not None:
                return engine
        return super().get_bind(mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})

