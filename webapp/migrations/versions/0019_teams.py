"""Teams and ownership (issue 14): `teams`, `team_members` (a person may sit in several teams), and the owning
team of every survey (`surveys.team_id`), API key (`api_keys.team_id`) and webhook subscription
(`webhook_subscriptions.team_id`).

Existing installs move into one team called `default`: every user sits in it, and every survey, key and
subscription belongs to it — except keys and subscriptions that already named a team, which go to that team.
Each team named in `users.team` (the team whose follow-up cases a person works) becomes a team too, with those
people in it. The old text columns stay as they were, so nothing is lost and the downgrade only drops what this
migration added.

The columns are added in place (ALTER TABLE … ADD COLUMN, on SQLite too), never by a batch copy: copying
`surveys` drops a table that others reference, which SQLite's foreign keys refuse (see 0017). SQLite cannot add
a NOT NULL column with a foreign key in place, so `team_id` is nullable in the schema; the app sets it on every
insert (`webapp.teams.scope`).

Revision ID: 0019_teams
Revises: 0018_sso
Create Date: 2026-12-03
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0019_teams"
down_revision = "0018_sso"
branch_labels = None
depends_on = None

DEFAULT_TEAM = "default"
OWNED = ("surveys", "api_keys", "webhook_subscriptions")


def upgrade() -> None:
    teams = op.create_table(
        "teams",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("name", name="uq_teams_name"),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", name="fk_team_members_team"),
                  primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_team_members_user"),
                  primary_key=True),
        sa.Column("added_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_team_members_user_id", "team_members", ["user_id"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in OWNED:
        if sqlite:  # Alembic would skip the foreign key of a column added in place on SQLite; say it inline
            op.execute(f"ALTER TABLE {table} ADD COLUMN team_id INTEGER REFERENCES teams (id)")
        else:
            op.add_column(table, sa.Column("team_id", sa.Integer,
                                           sa.ForeignKey("teams.id", name=f"fk_{table}_team"), nullable=True))
    op.create_index("ix_surveys_team_id", "surveys", ["team_id"])
    _fill(teams)


def _fill(teams: sa.Table) -> None:
    connection = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    names = {DEFAULT_TEAM}
    for table in ("users", "api_keys", "webhook_subscriptions"):
        names.update(name for name in connection.scalars(sa.text(f"SELECT DISTINCT team FROM {table}"))  # nosec B608
                     if name is not None and name.strip())
    connection.execute(teams.insert(), [{"name": name, "created_at": now} for name in sorted(names)])
    ids: dict[str, int] = {name: team_id for name, team_id in connection.execute(sa.text("SELECT name, id FROM teams"))}
    default = ids[DEFAULT_TEAM]
    members = [{"team_id": default, "user_id": user_id, "added_at": now}
               for user_id in connection.scalars(sa.text("SELECT id FROM users"))]
    members += [{"team_id": ids[team], "user_id": user_id, "added_at": now}
                for user_id, team in connection.execute(sa.text("SELECT id, team FROM users"))
                if team is not None and team.strip() and team != DEFAULT_TEAM]
    if members:
        connection.execute(sa.text("INSERT INTO team_members (team_id, user_id, added_at) "
                                   "VALUES (:team_id, :user_id, :added_at)"), members)
    connection.execute(sa.text("UPDATE surveys SET team_id = :team"), {"team": default})
    for table in ("api_keys", "webhook_subscriptions"):
        connection.execute(sa.text(f"UPDATE {table} SET team_id = :team"), {"team": default})  # nosec B608
        for name, team_id in ids.items():
            connection.execute(sa.text(f"UPDATE {table} SET team_id = :team_id WHERE team = :name"),  # nosec B608
                               {"team_id": team_id, "name": name})


def downgrade() -> None:
    # Keys and subscriptions given a team other than the default after 0019 keep naming it in the old text
    # column; the default team was "no team" before.
    connection = op.get_bind()
    for table in ("api_keys", "webhook_subscriptions"):
        connection.execute(sa.text(
            f"UPDATE {table} SET team = (SELECT name FROM teams WHERE teams.id = {table}.team_id) "  # nosec B608
            f"WHERE team IS NULL AND team_id IN (SELECT id FROM teams WHERE name <> :default)"),
            {"default": DEFAULT_TEAM})
    op.drop_index("ix_surveys_team_id", "surveys")
    for table in OWNED:
        if connection.dialect.name != "sqlite":
            op.drop_constraint(f"fk_{table}_team", table, type_="foreignkey")
        # in place (SQLite 3.35+): a batch copy of a referenced table breaks SQLite's foreign keys
        op.drop_column(table, "team_id")
    op.drop_index("ix_team_members_user_id", "team_members")
    op.drop_table("team_members")
    op.drop_table("teams")
