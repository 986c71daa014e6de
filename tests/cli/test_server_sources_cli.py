"""`qabot source add|list|remove --collection`, `qabot sync --collection` and `qabot kb add|remove
--collection` through the CLI's runner: the tests' docs site on 127.0.0.1, real files, FAISS and the real
model (loaded once for the session and handed to the wiring)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.cli.app import EXIT_SKIPPED
from tests.cli.homes import WOMBAT, prepare_home

GUILD, OTHER = 4242, 5555
ASK_GPU = "How do I get GPU support in Quokka?"


@pytest.fixture
def home(tmp_path, monkeypatch, real_embedder) -> Path:
    """A base of two articles, the bot's data folder, and sources allowed on 127.0.0.1."""
    prepare_home(
        tmp_path,
        monkeypatch,
        real_embedder,
        {
            "QABOT_SOURCES_DIR": tmp_path / "data" / "sources",
            "QABOT_SOURCES_ALLOW_PRIVATE": "true",
            "QABOT_SOURCES_REQUEST_INTERVAL": "0",
        },
    )
    (tmp_path / "wombat.md").write_bytes(WOMBAT)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def collection(home: Path, guild_id: int) -> Path:
    return home / "data" / "collections" / str(guild_id)


def test_a_servers_sources_are_added_synced_asked_and_removed_from_the_command_line(home, site):
    assert run("index").exit_code == 0  # the base's index, so `ask` prints only its answer
    location = f"{site.base}/docs/"
    added = run("source", "add", "quokka", location, "--collection", str(GUILD))
    assert added.exit_code == 0, added.output
    assert f"fetch it with `qabot sync quokka --collection {GUILD}`" in added.output
    assert run("source", "list", "--collection", str(GUILD)).output.startswith(f"quokka  website  {location}")
    assert run("source", "list").output.startswith("no sources")

    synced = run("sync", "--collection", str(GUILD))
    assert synced.exit_code == EXIT_SKIPPED, synced.output  # broken.html fails; the rest is indexed
    assert "quokka: 3 written, 0 unchanged, 0 removed, 1 failed" in synced.output
    assert (collection(home, GUILD) / "knowledge" / "sources" / "quokka" / "install.md").is_file()
    assert not (home / "knowledge" / "sources").exists()
    as_server = json.loads(run("ask", "--collection", str(GUILD), "--json", ASK_GPU).output)
    assert as_server["sources"][0]["url"] == f"{site.base}/docs/install.html#gpu-support"
    as_base = json.loads(run("ask", "--json", ASK_GPU).output)
    assert not [s for s in as_base["sources"] if (s["url"] or "").startswith(site.base)]

    removed = run("source", "remove", "quokka", "--collection", str(GUILD))
    assert removed.exit_code == 0, removed.output
    assert not (collection(home, GUILD) / "index" / "CURRENT").exists()  # nothing left to answer from
    assert not (collection(home, GUILD) / "knowledge" / "sources" / "quokka").exists()


def test_the_command_line_is_not_capped(home):
    for n in range(6):  # QABOT_MAX_SOURCES_PER_SERVER is 5: that limit is for servers' moderators
        done = run("source", "add", f"docs{n}", f"https://docs.example.org/{n}/", "--collection", str(GUILD))
        assert done.exit_code == 0, done.output
    assert len(run("source", "list", "--collection", str(GUILD)).output.splitlines()) == 6


def test_kb_add_and_remove_change_a_servers_collection_and_not_the_base(home):
    assert run("index").exit_code == 0
    base_files = sorted(p.name for p in (home / "knowledge").iterdir())
    added = run("kb", "add", str(home / "wombat.md"), "--collection", str(OTHER))
    assert added.exit_code == 0, added.output
    assert added.output.startswith("added wombat.md; ")
    assert (collection(home, OTHER) / "knowledge" / "wombat.md").is_file()
    assert (collection(home, OTHER) / "index" / "CURRENT").is_file()
    as_server = json.loads(run("ask", "--collection", str(OTHER), "--json", "How does Wombat dig?").output)
    assert as_server["sources"][0]["path"] == "wombat.md"

    removed = run("kb", "remove", "wombat.md", "--collection", str(OTHER))
    assert removed.exit_code == 0, removed.output
    assert removed.output.startswith("deleted wombat.md; ")
    assert not (collection(home, OTHER) / "index" / "CURRENT").exists()  # its last article
    assert sorted(p.name for p in (home / "knowledge").iterdir()) == base_files

    unknown = run("kb", "remove", "keras.md", "--collection", str(OTHER))  # a base article, not its own
    assert unknown.exit_code == 2 and "there is no article `keras.md`" in unknown.output
    assert (home / "knowledge" / "keras.md").is_file()
