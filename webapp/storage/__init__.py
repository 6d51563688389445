"""Storage: SQLAlchemy 2 models, engines (SQLite embedded default, PostgreSQL by URL) and Alembic migrations."""

from .engine import create_engine_for, open_session, session_factory, upgrade_database
from .models import Base, Invitation, Response, SurveyRecord, SurveyVersion
from .teams import Team, TeamMember

__all__ = [
    "Base",
    "Invitation",
    "Response",
    "SurveyRecord",
    "SurveyVersion",
    "Team",
    "TeamMember",
    "create_engine_for",
    "open_session",
    "session_factory",
    "upgrade_database",
]
