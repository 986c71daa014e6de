"""Per-server records in a real SQLite file: settings, hidden base articles, and forgetting a server the
bot left once the retention period has passed (or at once, on the operator's command)."""

from __future__ import annotations

import sqlite3

import pytest

from bot.storage import MIGRATIONS, Storage
from bot.storage.schema import migrate
from tests.storage.test_storage import DAY, Clock

GUILD_A, GUILD_B = 100, 200


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def storage(tmp_path, clock):
    store = Storage(tmp_path / "qabot.sqlite3", "salt", retention_days=30, clock=clock)
    yield store
    store.close()


def test_settings_are_kept_per_server(storage):
    storage.set_guild_setting(GUILD_A, "threshold", "0.6")
    storage.set_guild_setting(GUILD_A, "threshold", "0.7")  # a second set replaces the first
    storage.set_guild_setting(GUILD_A, "use-base", "off")
    assert storage.guild_settings(GUILD_A) == {"threshold": "0.7", "use-base": "off"}
    assert storage.guild_settings(GUILD_B) == {}
    assert storage.reset_guild_setting(GUILD_A, "threshold") == 1
    assert storage.guild_settings(GUILD_A) == {"use-base": "off"}
    assert storage.reset_guild_setting(GUILD_A) == 1 and storage.guild_settings(GUILD_A) == {}


def test_hidden_base_articles_are_hidden_per_server(storage):
    assert storage.hide_article(GUILD_B, "keras.md") and not storage.hide_article(GUILD_B, "keras.md")
    assert storage.hidden_articles(GUILD_B) == {"keras.md"} and storage.hidden_articles(GUILD_A) == set()
    assert storage.unhide_article(GUILD_B, "keras.md") and storage.hidden_articles(GUILD_B) == set()


def fill(storage: Storage, guild_id: int) -> None:
    question = storage.log_question("What is JAX?", 1, guild_id, 5, True, 0.9, "jax.md")
    storage.vote(question * 10, 2, 1, question, guild_id)
    storage.audit(3, None, guild_id, "kb list", {}, "ok")
    storage.set_guild_setting(guild_id, "threshold", "0.5")
    storage.hide_article(guild_id, "keras.md")


def test_a_server_left_is_forgotten_only_after_the_retention_period(storage, clock):
    fill(storage, GUILD_A)
    fill(storage, GUILD_B)
    storage.guild_left(GUILD_A)
    clock.now += 29 * DAY
    assert storage.expired_guilds() == []
    storage.guild_left(GUILD_A)  # leaving again does not restart the period
    clock.now += 2 * DAY
    assert storage.expired_guilds() == [GUILD_A]
    deleted = storage.delete_guild(GUILD_A)
    assert deleted["questions"] == deleted["votes"] == deleted["audit"] == 1
    assert storage.stats(None, GUILD_A).asked == 0 and storage.guild_settings(GUILD_A) == {}
    assert storage.expired_guilds() == [] and storage.audit_trail(guild_id=GUILD_A) == []
    assert storage.stats(None, GUILD_B).asked == 1 and storage.hidden_articles(GUILD_B) == {"keras.md"}
    assert len(storage.audit_trail(guild_id=GUILD_B)) == 1


def test_rejoining_keeps_the_servers_data(storage, clock):
    fill(storage, GUILD_A)
    storage.guild_left(GUILD_A)
    storage.guild_joined(GUILD_A)
    clock.now += 60 * DAY
    assert storage.expired_guilds() == [] and storage.guild_settings(GUILD_A) == {"threshold": "0.5"}


def test_a_version_2_database_gains_the_server_tables_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, MIGRATIONS[:2])
    db.execute(
        "INSERT INTO questions (question, user_hash, guild_id, channel_id, answered, confidence,"
        " top_source, created_at) VALUES ('What is JAX?', 'h', 100, 5, 1, 0.9, 'jax.md', 1.0)"
    )
    db.close()
    storage = Storage(path, "salt", 30)
    assert storage.version == 3 and storage.stats(None, 100).asked == 1
    assert storage.guild_settings(100) == {} and storage.hidden_articles(100) == set()
    storage.close()
