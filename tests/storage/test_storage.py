"""Storage against a real SQLite file in tmp_path."""

from __future__ import annotations

import sqlite3

import pytest

from bot.storage import MIGRATIONS, SCHEMA_VERSION, Storage
from bot.storage.schema import migrate, schema_version

DAY = 86_400


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def storage(tmp_path, clock):
    store = Storage(tmp_path / "data" / "qabot.sqlite3", "salt", retention_days=30, clock=clock)
    yield store
    store.close()


def test_a_new_database_is_created_at_the_current_schema_version(storage, tmp_path):
    assert storage.version == SCHEMA_VERSION
    with sqlite3.connect(tmp_path / "data" / "qabot.sqlite3") as db:
        assert schema_version(db) == SCHEMA_VERSION


def test_migrations_run_forward_only_once_and_a_failing_one_changes_nothing(tmp_path):
    db = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    assert migrate(db, ("CREATE TABLE a (x INTEGER)",)) == 1
    assert migrate(db, ("CREATE TABLE a (x INTEGER)", "ALTER TABLE a ADD COLUMN y TEXT")) == 2
    with pytest.raises(sqlite3.OperationalError):
        migrate(
            db, ("CREATE TABLE a (x INTEGER)", "ALTER TABLE a ADD COLUMN y TEXT", "CREATE TABLE b (z); BOGUS")
        )
    assert schema_version(db) == 2
    assert db.execute("SELECT name FROM sqlite_master WHERE name = 'b'").fetchone() is None
    with pytest.raises(RuntimeError, match="newer"):
        migrate(db, ("CREATE TABLE a (x INTEGER)",))


def test_user_ids_are_stored_only_as_salted_hashes(storage, tmp_path):
    storage.log_question("What is JAX?", 123456789, 1, 2, True, 0.8, "jax.md")
    raw = (tmp_path / "data" / "qabot.sqlite3").read_bytes() + (
        tmp_path / "data" / "qabot.sqlite3-wal"
    ).read_bytes()
    assert b"123456789" not in raw
    assert storage.hash_user(123456789) != Storage(tmp_path / "other.sqlite3", "pepper", 30).hash_user(
        123456789
    )


def test_a_vote_per_user_and_answer_which_can_change(storage):
    assert storage.vote(10, 1, 1, question_id=5) is None
    assert storage.vote(10, 1, -1) == 1
    assert storage.vote(10, 2, 1) is None
    assert storage.votes_for(10) == (1, 1)
    with pytest.raises(ValueError):
        storage.vote(10, 3, 0)


def test_retention_forgets_old_questions_and_votes(storage, clock):
    storage.log_question("old", 1, 1, 1, False, 0.1, None)
    storage.vote(99, 1, 1)
    clock.now += 31 * DAY
    new_id = storage.log_question("new", 1, 1, 1, True, 0.9, "a.md")
    assert storage.purge() == 1
    assert storage.stats(None).asked == 1 and storage.question(new_id) == "new"
    assert storage.votes_for(99) == (0, 0)


def test_stats_over_a_period(storage, clock):
    storage.log_question("last month", 1, 1, 1, False, 0.1, None)
    clock.now += 20 * DAY
    for text, answered in [
        ("What is Quokka?", False),
        ("what is  QUOKKA", False),
        ("Keras?", False),
        ("What is JAX?", True),
    ]:
        storage.log_question(text, 1, 1, 1, answered, 0.5, None)
    storage.vote(1, 1, 1)
    storage.vote(1, 2, -1)
    storage.vote(2, 2, 1)
    week = storage.stats(days=7)
    assert (week.asked, week.answered, week.upvotes, week.downvotes) == (4, 1, 2, 1)
    assert week.answered_share == 0.25
    assert week.top_unanswered == (("What is Quokka?", 2), ("Keras?", 1))
    assert storage.stats(None).asked == 5
    assert storage.stats(days=7, guild_id=999).asked == 0


def test_votes_are_counted_per_server(storage):
    here = storage.log_question("q", 1, 100, 1, True, 0.9, "a.md")
    there = storage.log_question("q", 2, 200, 1, True, 0.9, "a.md")
    storage.vote(10, 1, 1, here, guild_id=100)
    storage.vote(20, 2, -1, there, guild_id=200)
    storage.vote(21, 3, -1, there, guild_id=200)
    assert (storage.stats(1, guild_id=100).upvotes, storage.stats(1, guild_id=100).downvotes) == (1, 0)
    assert (storage.stats(1, guild_id=200).upvotes, storage.stats(1, guild_id=200).downvotes) == (0, 2)


def test_a_moderator_name_is_stored_only_when_given(storage, tmp_path):
    storage.audit(42, None, 1, "kb list", {}, "3 articles")
    [entry] = storage.audit_trail()
    assert entry.actor_name == "" and entry.actor_hash == storage.hash_user(42)


def test_a_database_with_the_first_schema_is_migrated_keeping_its_data(tmp_path, clock):
    """Votes learn their server from the question they are on; names stored without an opt-in go."""
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, MIGRATIONS[:1])
    db.execute(
        "INSERT INTO questions (id, question, user_hash, guild_id, channel_id, answered, confidence,"
        f" top_source, created_at) VALUES (7, 'What is JAX?', 'h1', 100, 5, 1, 0.9, 'jax.md', {clock.now})"
    )
    db.execute(f"INSERT INTO votes VALUES (70, 'h2', 7, 1, {clock.now})")
    db.execute(f"INSERT INTO votes VALUES (71, 'h3', NULL, -1, {clock.now})")
    db.execute(
        "INSERT INTO audit (actor_hash, actor_name, guild_id, action, args, result, created_at)"
        f" VALUES ('h4', 'Alice Moderator#0001', 100, 'kb list', '{{}}', 'ok', {clock.now})"
    )
    db.close()

    storage = Storage(path, "salt", 30, clock=clock)
    assert storage.version == SCHEMA_VERSION == 3
    assert storage.stats(1, guild_id=100).upvotes == 1 and storage.stats(1, guild_id=100).asked == 1
    assert storage.stats(1, guild_id=200).upvotes == 0
    assert storage.stats(None).downvotes == 1  # the vote without a question stays, in no server
    [entry] = storage.audit_trail()
    assert (entry.actor_hash, entry.actor_name, entry.action) == ("h4", "", "kb list")
    storage.close()
    assert b"Alice Moderator" not in path.read_bytes()


def test_the_audit_trail_records_who_did_what_and_how_it_went(storage, clock):
    storage.audit(42, "mod", 1, "kb add", {"file": "a.md"}, "added")
    [entry] = storage.audit_trail()
    assert (entry.actor_name, entry.action, entry.args, entry.result) == (
        "mod",
        "kb add",
        {"file": "a.md"},
        "added",
    )
    assert entry.actor_hash == storage.hash_user(42) and entry.created_at == clock.now


def test_empty_stats_do_not_divide_by_zero(storage):
    stats = storage.stats(days=1)
    assert stats.asked == 0 and stats.answered_share == 0.0 and stats.top_unanswered == ()


@pytest.mark.parametrize("kind", ["text file", "folder"])
def test_a_database_path_that_is_no_database_is_one_typed_error(tmp_path, kind):
    from bot.errors import DatabaseUnusable

    path = tmp_path / "passwd"
    if kind == "folder":
        path.mkdir()
    else:
        path.write_text("root:x:0:0:root:/root:/bin/bash\n")
    with pytest.raises(DatabaseUnusable) as raised:
        Storage(path, "salt", retention_days=30)
    assert "QABOT_DATABASE_PATH" in str(raised.value) and "\n" not in str(raised.value)
    if kind == "text file":
        assert path.read_text() == "root:x:0:0:root:/root:/bin/bash\n"  # never written to
