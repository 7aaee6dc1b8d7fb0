"""SQLAlchemy models, one module per domain. No Flask-Admin imports here.

`db` and the declarative `Base` live in models/base.py; this package re-exports every model."""
from models.base import NAMING, Base, db  # noqa: F401
from models import dialect  # noqa: F401 — the SQLite connection settings
from models.enums import *  # noqa: F401,F403
from models.org import *  # noqa: F401,F403
from models.people import *  # noqa: F401,F403
from models.study import *  # noqa: F401,F403
from models.planning import *  # noqa: F401,F403
from models.journal import *  # noqa: F401,F403
from models.timetable import *  # noqa: F401,F403
from models.grading import *  # noqa: F401,F403
from models.audit import *  # noqa: F401,F403
from models.rollover import *  # noqa: F401,F403
from models.movement import *  # noqa: F401,F403
from models.files import *  # noqa: F401,F403
from models.lesson_files import *  # noqa: F401,F403
from models.requests import *  # noqa: F401,F403
from models.messages import *  # noqa: F401,F403
from models.announcements import *  # noqa: F401,F403
from models.paper_reports import *  # noqa: F401,F403
from models import scope  # noqa: F401 — the organization scope (every query of a request sees one organization)
from models.flags import *  # noqa: F401,F403
from models.deadlines import *  # noqa: F401,F403
from models.materials import *  # noqa: F401,F403
from models.report_builder import *  # noqa: F401,F403
from models.quizzes import *  # noqa: F401,F403
from models.portfolio import *  # noqa: F401,F403
from models.api import *  # noqa: F401,F403
from models.jobs import *  # noqa: F401,F403
from models.region import *  # noqa: F401,F403
