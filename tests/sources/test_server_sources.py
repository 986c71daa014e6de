"""A server collection's own sources: their list, state and pages inside its collection folder (the
tests' site on 127.0.0.1, real files, real FAISS; the fake model, so these stay fast), the per-server
cap and quota, and the rebuild that drops a collection's index once its sources leave it without an
article.
The real model and Discord: tests/e2e/test_server_sources.py."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.collections import Collections
from bot.core.quota import Quota, folder_usage
from bot.core.service import KnowledgeBase
from bot.errors import TooManySources
from bot.sources.scoped import CollectionSources
from bot.sources.service import SourceService
from bot.sources.state import SyncState
from tests.fakes import HashingEmbedder
from tests.sources.conftest import TEST_POLICY, second_commit

A, B = 1111, 2222


@pytest.fixture
def scoped(tmp_path) -> CollectionSources:
    (tmp_path / "knowledge").mkdir()
    base = SourceService(tmp_path / "data" / "sources", tmp_path / "knowledge", TEST_POLICY)
    return CollectionSources(base, tmp_path / "data" / "collections", max_per_server=2)


@pytest.fixture
def collections(tmp_path) -> Collections:
    base = KnowledgeBase(tmp_path / "knowledge", tmp_path / "index", HashingEmbedder(), threshold=0.3)
    return Collections(base, tmp_path / "data" / "collections", memory_budget=10**9)


def files_under(folder) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_servers_sources_live_and_write_inside_its_own_collection(site, scoped, collections, tmp_path):
    scoped.of(A).add("quokka", f"{site.base}/docs/")
    result = scoped.of(A).sync_and_reindex(lambda: collections.rebuild(A))
    assert result.build is not None and "sources/quokka/install.md" in result.build.added
    folder = tmp_path / "data" / "collections" / str(A)
    assert (folder / "sources" / "sources.json").is_file() and (folder / "sources" / "quokka").is_dir()
    assert "sources/quokka/install.md" in files_under(folder / "knowledge")
    assert collections.exists(A) and not collections.exists(B)
    assert files_under(tmp_path / "knowledge") == [] and scoped.base.all_sources() == []
    assert [s.name for s in scoped.of(A).all_sources()] == ["quokka"] and scoped.of(B).all_sources() == []
    assert scoped.servers_with_sources() == [A]


def test_the_cap_refuses_a_servers_next_source_but_not_the_operators(scoped):
    scoped.of(A).add("one", "https://docs.example.org/one/")
    scoped.of(A).add("two", "https://docs.example.org/two/")
    with pytest.raises(TooManySources, match=r"this server has 2 sources, the most it may have"):
        scoped.of(A).add("three", "https://docs.example.org/three/")
    assert [s.name for s in scoped.of(A).all_sources()] == ["one", "two"]
    scoped.of(B).add("three", "https://docs.example.org/three/")  # each server has its own count
    scoped.of(A, capped=False).add("three", "https://docs.example.org/three/")  # the command line
    for name in ("a", "b", "c"):
        scoped.base.add(name, f"https://docs.example.org/{name}/")  # the base is the operator's: no cap
    assert len(scoped.of(A).all_sources()) == 3 and len(scoped.base.all_sources()) == 3


def test_a_cap_of_zero_turns_servers_sources_off(scoped):
    off = CollectionSources(scoped.base, scoped.root, max_per_server=0)
    with pytest.raises(TooManySources, match="turned servers' own sources off"):
        off.of(A).add("one", "https://docs.example.org/one/")


def test_removing_a_collections_only_source_drops_its_index(site, scoped, collections):
    scoped.of(A).add("quokka", f"{site.base}/docs/")
    scoped.of(A).sync_and_reindex(lambda: collections.rebuild(A))
    assert collections.loaded(A) is not None
    scoped.of(A).remove("quokka")
    report = collections.rebuild(A)
    assert "sources/quokka/install.md" in report.removed
    assert not collections.exists(A) and collections.loaded(A) is None
    assert scoped.servers_with_sources() == []


def test_a_damaged_list_still_counts_as_a_server_with_sources(scoped):
    """So that the scheduled sync tries it and says what is wrong, rather than skipping it silently."""
    folder = scoped.root / str(A) / "sources"
    folder.mkdir(parents=True)
    (folder / "sources.json").write_text("{not json")
    assert scoped.servers_with_sources() == [A]


def test_another_process_serving_the_collection_picks_up_the_sync(site, scoped, collections, tmp_path):
    """Another process (a second shard) has A's collection loaded; the sync's new generation reaches it
    through refresh(), the way any change to a collection does."""
    collections.knowledge_dir(A).mkdir(parents=True)
    (collections.knowledge_dir(A) / "wombat.md").write_text("# Wombat\n\nWombat digs burrows.\n")
    collections.reindex(A)
    other_base = KnowledgeBase(tmp_path / "knowledge", tmp_path / "index", HashingEmbedder(), threshold=0.3)
    other = Collections(other_base, collections.root, memory_budget=10**9)
    assert [a.path for a in other.loaded(A).articles()] == ["wombat.md"]
    scoped.of(A).add("quokka", f"{site.base}/docs/")
    scoped.of(A).sync_and_reindex(lambda: collections.rebuild(A))
    assert other.refresh() == [A]
    assert "sources/quokka/install.md" in {a.path for a in other.loaded(A).articles()}


def test_a_sync_stops_writing_at_the_servers_quota_and_the_index_has_what_was_written(
    site, scoped, collections
):
    capped = CollectionSources(scoped.base, scoped.root, max_per_server=2, quota=Quota(2, 2**20))
    capped.of(A).add("quokka", f"{site.base}/docs/")
    result = capped.of(A).sync_and_reindex(lambda: collections.rebuild(A))
    (report,) = result.reports
    assert len(report.written) == 2 and report.error is None
    held = [note for note in report.notes if "QABOT_MAX_SERVER_ARTICLES" in note]
    assert held == [
        "1 page not written: the server's collection is at its quota of 2 articles "
        "(QABOT_MAX_SERVER_ARTICLES); what it had is kept"
    ]
    written = sorted(f"sources/quokka/{page.file}" for page in _state(capped, A).pages.values())
    assert written == sorted(result.build.added) and len(written) == 2
    # Raised by the operator: the next sync writes the page it held back and keeps the others.
    raised = CollectionSources(scoped.base, scoped.root, max_per_server=2, quota=Quota(3, 2**20))
    (again,) = raised.of(A).sync_and_reindex(lambda: collections.rebuild(A)).reports
    assert len(again.written) == 1 and again.unchanged == 2 and not again.removed
    assert not any("QABOT_MAX_SERVER" in note for note in again.notes)


def test_the_quota_never_limits_the_base_or_the_command_line(site, scoped, tmp_path):
    capped = CollectionSources(scoped.base, scoped.root, max_per_server=2, quota=Quota(1, 2**20))
    capped.base.add("quokka", f"{site.base}/docs/")
    (base,) = capped.base.sync()
    assert len(base.written) == 3 and not any("QABOT_MAX_SERVER" in note for note in base.notes)
    capped.of(A, capped=False).add("quokka", f"{site.base}/docs/")
    (operator,) = capped.of(A, capped=False).sync()
    assert len(operator.written) == 3


def _state(scoped: CollectionSources, guild_id: int) -> SyncState:
    return SyncState.load(scoped.of(guild_id).sources_dir / "quokka")


def test_a_repository_edit_past_the_byte_quota_keeps_the_old_copy(repository, tmp_path):
    knowledge = tmp_path / "server-knowledge"
    synced = SourceService(tmp_path / "server-sources", knowledge, TEST_POLICY, quota=Quota(100, 2**20))
    synced.add("wombat", str(repository), folder="docs", local_allowed=True)
    (first,) = synced.sync()
    assert len(first.written) == 4
    install = knowledge / "sources" / "wombat" / "install.md"
    before = install.read_bytes()
    second_commit(repository)  # install.md grows
    (knowledge / ".trash").mkdir()  # the trash fills the folder to its 1 MB exactly: it counts too
    (knowledge / ".trash" / "old.md").write_bytes(b"x" * (2**20 - folder_usage(knowledge).bytes))
    (second,) = synced.sync()
    assert second.written == () and install.read_bytes() == before and not second.removed
    assert second.notes == (
        "1 page not written: the server's collection is at its quota of 1 MB (QABOT_MAX_SERVER_MB); "
        "what it had is kept",
    )
    (third,) = replace(synced, quota=Quota(100, 2 * 2**20)).sync()  # a roomier quota: the edit is read
    assert third.written == ("docs/install.md",) and install.read_bytes() != before
