"""Schema versions. Append a migration to change the schema; never edit one that has shipped,
because databases in the field have already run it."""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE questions (
        id          INTEGER PRIMARY KEY,
        question    TEXT NOT NULL,
        user_hash   TEXT NOT NULL,
        guild_id    INTEGER,
        channel_id  INTEGER,
        answered    INTEGER NOT NULL,
        confidence  REAL NOT NULL,
        top_source  TEXT,
        created_at  REAL NOT NULL
    );
    CREATE INDEX questions_created ON questions (created_at);
    CREATE TABLE votes (
        message_id  INTEGER NOT NULL,
        user_hash   TEXT NOT NULL,
        question_id INTEGER,
        vote        INTEGER NOT NULL CHECK (vote IN (-1, 1)),
        created_at  REAL NOT NULL,
        PRIMARY KEY (message_id, user_hash)
    );
    CREATE INDEX votes_created ON votes (created_at);
    CREATE TABLE audit (
        id          INTEGER PRIMARY KEY,
        actor_hash  TEXT NOT NULL,
        actor_name  TEXT NOT NULL,
        guild_id    INTEGER,
        action      TEXT NOT NULL,
        args        TEXT NOT NULL,
        result      TEXT NOT NULL,
        created_at  REAL NOT NULL
    );
    """,
    # 2: votes remember their server, so /kb stats counts one server's votes (the guild of the question
    # voted on, for votes cast before this); moderators' display names were stored without an opt-in
    # before QABOT_AUDIT_MODERATOR_NAMES existed, so they are erased (the salted id hash stays).
    """
    ALTER TABLE votes ADD COLUMN guild_id INTEGER;
    UPDATE votes SET guild_id = (SELECT q.guild_id FROM questions AS q WHERE q.id = votes.question_id);
    CREATE INDEX votes_guild_created ON votes (guild_id, created_at);
    UPDATE audit SET actor_name = '';
    """,
    # 3: many servers, one bot: each server's own settings (/config; a missing row means the environment's
    # value), the base articles it hid, and when the bot left it (its data is deleted a retention period
    # later); the guild indexes make that deletion and /kb stats cheap.
    """
    CREATE TABLE guild_settings (
        guild_id    INTEGER NOT NULL,
        name        TEXT NOT NULL,
        value       TEXT NOT NULL,
        updated_at  REAL NOT NULL,
        PRIMARY KEY (guild_id, name)
    );
    CREATE TABLE hidden_articles (
        guild_id    INTEGER NOT NULL,
        path        TEXT NOT NULL,
        created_at  REAL NOT NULL,
        PRIMARY KEY (guild_id, path)
    );
    CREATE TABLE departed_guilds (
        guild_id    INTEGER PRIMARY KEY,
        left_at     REAL NOT NULL
    );
    CREATE INDEX questions_guild_created ON questions (guild_id, created_at);
    CREATE INDEX audit_guild ON audit (guild_id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(connection: sqlite3.Connection) -> int:
    connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = connection.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(connection: sqlite3.Connection, migrations: tuple[str, ...] = MIGRATIONS) -> int:
    """Run the migrations this database has not seen, each in its own transaction; returns the version."""
    version = schema_version(connection)
    if version > len(migrations):
        raise RuntimeError(f"database schema {version} is newer than this qabot ({len(migrations)})")
    for number, script in enumerate(migrations[version:], start=version + 1):
        # executescript commits first, so the transaction is opened explicitly inside the script;
        # a failing migration is rolled back whole and leaves the version where it was.
        try:
            connection.executescript(
                f"BEGIN; {script}; DELETE FROM schema_version; "
                f"INSERT INTO schema_version (version) VALUES ({number}); COMMIT;"
            )
        except sqlite3.Error:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
    return len(migrations)
