"""Alembic environment: runs online against the engine passed in `config.attributes["engine"]`
(see `webapp.storage.engine.alembic_config`)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from webapp.storage.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # plain `alembic` command line: the URL comes from the environment like the app's
    from webapp.config import database_url_from_environment
    from webapp.storage.engine import create_engine_for

    engine = create_engine_for(database_url_from_environment())

with engine.connect() as connection:
    if connection.dialect.name == "postgresql":
        # Several app servers may start at once: one migrates, the others wait and then find nothing to do.
        connection.execute(sa.text("SELECT pg_advisory_lock(81021)"))
        connection.commit()
    try:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_unlock(81021)"))
            connection.commit()
