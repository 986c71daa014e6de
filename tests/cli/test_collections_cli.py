"""`qabot index|ask|eval --collection`, `qabot collections` and `qabot collections delete` through the
CLI's runner: real files, real FAISS and SQLite, the fake model (replaced at the wiring's boundary)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.storage import Storage
from tests.cli.homes import WOMBAT, prepare_home
from tests.fakes import HashingEmbedder

GUILD = 4242
ASK_WOMBAT = "Which optimiser does Wombat dig burrows with?"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A base of two articles, the bot's database and collections folder, all in tmp_path."""
    prepare_home(tmp_path, monkeypatch, HashingEmbedder())
    server_knowledge = tmp_path / "data" / "collections" / str(GUILD) / "knowledge"
    server_knowledge.mkdir(parents=True)
    (server_knowledge / "wombat.md").write_bytes(WOMBAT)
    assert run("index").exit_code == 0  # the base's index, so `ask` prints only its answer
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_index_and_ask_a_server_collection_beside_the_base(home):
    built = run("index", "--collection", str(GUILD))
    assert built.exit_code == 0, built.output
    assert (home / "data" / "collections" / str(GUILD) / "index" / "CURRENT").is_file()
    as_server = json.loads(run("ask", "--collection", str(GUILD), "--json", ASK_WOMBAT).output)
    assert as_server["sources"][0] | {"score": 0} == {
        "title": "Wombat",
        "section": "Digging with Wombat",
        "path": "wombat.md",
        "url": None,
        "score": 0,
        "collection": "server",
    }
    assert {p.get("collection") for p in as_server["passages"]} <= {"server", "base"}
    as_base = json.loads(run("ask", "--json", ASK_WOMBAT).output)
    assert "wombat.md" not in {p["path"] for p in as_base["passages"]}
    assert all("collection" not in s for s in as_base["sources"] + as_base["passages"])  # unchanged


def test_ask_as_a_server_follows_its_settings_from_the_database(home):
    run("index", "--collection", str(GUILD))
    storage = Storage(home / "data" / "qabot.sqlite3", "salt", 30)
    storage.set_guild_setting(GUILD, "use-base", "off")
    storage.close()
    answer = json.loads(run("ask", "--collection", str(GUILD), "--json", "What is JAX?").output)
    assert {p["path"] for p in answer["passages"]} == {"wombat.md"}


def test_collections_lists_sizes_and_delete_forgets_the_server(home):
    assert f"{GUILD:>20}         0         0" in run("collections").output  # articles, not indexed yet
    run("index", "--collection", str(GUILD))
    listed = run("collections").output
    assert f"{GUILD:>20}         1         1" in listed and "1 collections" in listed
    storage = Storage(home / "data" / "qabot.sqlite3", "salt", 30)
    storage.log_question("What is Wombat?", 1, GUILD, 2, True, 0.9, "wombat.md")
    storage.log_question("What is JAX?", 1, 999, 2, True, 0.9, "jax.md")
    storage.close()
    deleted = run("collections", "delete", str(GUILD), "--yes")
    assert deleted.exit_code == 0 and "deleted its collection and 1 database rows" in deleted.output
    assert not (home / "data" / "collections" / str(GUILD)).exists()
    assert "no server collections" in run("collections").output
    storage = Storage(home / "data" / "qabot.sqlite3", "salt", 30)
    assert storage.stats(None, GUILD).asked == 0 and storage.stats(None, 999).asked == 1
    storage.close()


def test_eval_scores_a_server_collection(home, tmp_path):
    run("index", "--collection", str(GUILD))
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"id": "w1", "question": ASK_WOMBAT, "gold": "wombat.md"}) + "\n")
    result = run("eval", "--collection", str(GUILD), "--questions", str(questions), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["recall_at_1"] == 1.0


def test_collection_and_folders_together_are_refused(home):
    result = CliRunner().invoke(cli, ["index", "--collection", str(GUILD), "--knowledge", "knowledge"])
    assert result.exit_code != 0 and "leave out --knowledge" in result.output
