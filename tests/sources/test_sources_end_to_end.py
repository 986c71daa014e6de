"""The whole way through the command line with the real model: `qabot source add`, `qabot sync`, then
`qabot ask` answers from the site and cites the section's anchor."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from bot.cli import EXIT_SKIPPED, cli
from tests.conftest import MODEL_CACHE, TEST_BACKEND, hard_time_limit
from tests.sources.conftest import second_commit

pytestmark = pytest.mark.model
# On a fresh machine the first model test exports the model to ONNX (a minute or two on 2 cores).
time_limit = hard_time_limit(600)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "welcome.md").write_text("# Welcome\n\nThis server talks about ML libraries.\n")
    for name, value in {
        "QABOT_KNOWLEDGE_DIR": tmp_path / "knowledge",
        "QABOT_INDEX_DIR": tmp_path / "index",
        "QABOT_SOURCES_DIR": tmp_path / "data" / "sources",
        "QABOT_SOURCES_ALLOW_PRIVATE": "true",  # the site is on 127.0.0.1
        "QABOT_SOURCES_REQUEST_INTERVAL": "0",
        "QABOT_BACKEND": TEST_BACKEND,
        "QABOT_MODEL_CACHE_DIR": MODEL_CACHE,
    }.items():
        monkeypatch.setenv(name, str(value))
    return tmp_path


def test_site_synced_and_asked_through_the_command_line(site, environment):
    added = invoke("source", "add", "quokka", f"{site.base}/docs/")
    assert added.exit_code == 0 and added.output.startswith("added quokka (website)")
    started = time.perf_counter()
    synced = invoke("sync")
    print(f"\nsite: first sync and index {time.perf_counter() - started:.2f} s")
    assert synced.exit_code == EXIT_SKIPPED  # the failing page is reported, the rest indexed
    assert f"failed {site.base}/docs/broken.html: HTTP 500 (last good copy kept)" in synced.output
    assert "quokka: 3 written, 0 unchanged, 0 removed, 1 failed" in synced.output

    asked = invoke("ask", "How do I get GPU support in Quokka?", "--json")
    answer = json.loads(asked.output)
    assert answer["answered"], answer
    assert "quokka[cuda]" in answer["answer"]
    assert answer["sources"][0]["url"] == f"{site.base}/docs/install.html#gpu-support"
    assert answer["sources"][0]["path"] == "sources/quokka/install.md"

    started = time.perf_counter()
    again = invoke("sync", "quokka")
    print(f"site: second sync, nothing changed {time.perf_counter() - started:.2f} s")
    assert "quokka: 0 written, 3 unchanged" in again.output and "index: nothing changed" in again.output

    assert "quokka  website" in invoke("source", "list").output
    removed = invoke("source", "remove", "quokka")
    assert removed.exit_code == 0, removed.output
    assert "removed quokka and its articles" in removed.output
    assert not (environment / "knowledge" / "sources" / "quokka").exists()
    assert invoke("source", "list").output.startswith("no sources")


def test_repository_synced_and_asked_through_the_command_line(repository, environment):
    invoke("source", "add", "wombat", str(repository), "--folder", "docs")
    started = time.perf_counter()
    first = invoke("sync")
    print(f"\nrepository: first sync and index {time.perf_counter() - started:.2f} s")
    assert first.exit_code == 0, first.output
    second_commit(repository)
    started = time.perf_counter()
    second = invoke("sync")
    print(f"repository: second sync (one file edited) {time.perf_counter() - started:.2f} s")
    assert "wombat: 1 written, 3 unchanged" in second.output
    answer = json.loads(invoke("ask", "Can I install Wombat with conda?", "--json").output)
    assert answer["answered"] and "conda install wombat" in answer["answer"]
    assert answer["sources"][0]["path"] == "sources/wombat/install.md"


def test_refusals_are_one_line(environment):
    result = invoke("source", "add", "bad", "file:///etc/passwd")
    assert result.exit_code == 2
    assert (
        result.output
        == "error: refused file:///etc/passwd: only http and https URLs can be fetched, not file:\n"
    )
    result = invoke("source", "add", "Bad Name", "https://example.com/docs/")
    assert result.exit_code == 2 and result.output.startswith("error: refused Bad Name: a source's name")
    result = invoke("sync", "nothing")
    assert result.output == "error: there is no source named 'nothing'; `qabot source list` or `/kb source list` shows them\n"
