"""SQLAlchemy models, one module per domain. No Flask-Admin imports here."""
from flask_sqlalchemy import SQLAlchemy
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


db = SQLAlchemy(model_class=Base)


from models import dialect  # noqa: E402,F401 — the SQLite connection settings
from models.enums import *  # noqa: E402,F401,F403
from models.org import *  # noqa: E402,F401,F403
from models.people import *  # noqa: E402,F401,F403
from models.study import *  # noqa: E402,F401,F403
from models.planning import *  # noqa: E402,F401,F403
from models.journal import *  # noqa: E402,F401,F403
from models.timetable import *  # noqa: E402,F401,F403
from models.grading import *  # noqa: E402,F401,F403
from models.audit import *  # noqa: E402,F401,F403
from models.rollover import *  # noqa: E402,F401,F403
from models.movement import *  # noqa: E402,F401,F403
from models import scope  # noqa: E402,F401 — the organization scope (every query of a request sees one organization)
