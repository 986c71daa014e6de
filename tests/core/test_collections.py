"""Collections with real FAISS and files, the hashing stand-in for the model: each server answers from
its own collection and the base, never another's; hidden base articles; LRU eviction in a budget;
another process's change picked up by refresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.collections import Collections, Scope
from bot.core.quota import folder_usage
from bot.core.service import KnowledgeBase
from bot.errors import NoCollection, UnknownArticle
from tests.fakes import HashingEmbedder

GUILD_A, GUILD_B = 111, 222


def article(title: str, body: str) -> bytes:
    return f"---\ntitle: {title}\n---\n\n## About {title}\n\n{body}\n".encode()


WOMBAT = article(
    "Wombat framework", "Wombat trains burrowing models with the dig optimiser on sandy tensors."
)
PLATYPUS = article("Platypus toolkit", "Platypus lays eggs of venomous graphs that swim through rivers.")
BASE_FILES = {
    "jax.md": article("JAX", "JAX compiles numerical functions with jit and XLA for accelerators."),
    "keras.md": article("Keras", "Keras builds neural network layers with a sequential model API."),
}


@pytest.fixture
def collections(tmp_path) -> Collections:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for name, data in BASE_FILES.items():
        (knowledge / name).write_bytes(data)
    base = KnowledgeBase(knowledge, tmp_path / "index", HashingEmbedder(), threshold=0.3)
    base.load()
    return Collections(base, tmp_path / "data" / "collections", memory_budget=10**9)


def cited(answer) -> list[tuple[str, str]]:
    return [(s.collection, s.path) for s in answer.sources]


def ask(collections: Collections, question: str, **scope) -> object:
    return collections.ask_many([question], scope=Scope(**scope))[0]


def test_each_server_answers_from_its_own_collection_and_never_another(collections):
    collections.add(GUILD_A, "wombat.md", WOMBAT, limit=100_000, replace=False)
    collections.add(GUILD_B, "platypus.md", PLATYPUS, limit=100_000, replace=False)
    in_a = ask(collections, "What does the wombat dig optimiser train?", guild_id=GUILD_A)
    assert in_a.answered and cited(in_a)[0] == ("server", "wombat.md")
    in_b = ask(collections, "What does the wombat dig optimiser train?", guild_id=GUILD_B)
    assert all(hit.passage.doc_path != "wombat.md" for hit in in_b.hits)
    assert "platypus.md" not in {hit.passage.doc_path for hit in in_a.hits}


def test_a_server_collection_lives_under_the_root_never_in_the_base_folder(collections):
    collections.add(GUILD_A, "wombat.md", WOMBAT, limit=100_000, replace=False)
    assert (collections.root / str(GUILD_A) / "knowledge" / "wombat.md").read_bytes() == WOMBAT
    assert not (collections.base.knowledge_dir / "wombat.md").exists()
    assert "wombat.md" not in {a.path for a in collections.base.articles()}


def test_base_answers_are_labelled_beside_a_server_collection_and_unlabelled_alone(collections):
    question = "How does JAX compile numerical functions with jit?"
    alone = ask(collections, question, guild_id=GUILD_A)
    assert cited(alone)[0] == ("", "jax.md")
    assert alone == collections.base.ask(question)  # no collection: exactly the base's answer
    collections.add(GUILD_A, "wombat.md", WOMBAT, limit=100_000, replace=False)
    beside = ask(collections, question, guild_id=GUILD_A)
    assert cited(beside)[0] == ("base", "jax.md")


def test_a_hidden_base_article_is_hidden_only_where_it_was_hidden(collections):
    question = "How does JAX compile numerical functions with jit?"
    hidden = ask(collections, question, guild_id=GUILD_B, hidden_base=frozenset({"jax.md"}))
    assert "jax.md" not in {hit.passage.doc_path for hit in hidden.hits}
    assert cited(ask(collections, question, guild_id=GUILD_A))[0][1] == "jax.md"


def test_a_server_can_switch_the_base_off(collections):
    question = "How does JAX compile numerical functions with jit?"
    off = ask(collections, question, guild_id=GUILD_A, use_base=False)
    assert not off.answered and off.hits == ()
    collections.add(GUILD_A, "wombat.md", WOMBAT, limit=100_000, replace=False)
    own_only = ask(collections, question, guild_id=GUILD_A, use_base=False)
    assert {hit.collection for hit in own_only.hits} == {"server"}


def test_a_server_threshold_overrides_the_default(collections):
    question = "How does JAX compile numerical functions with jit?"
    assert ask(collections, question, guild_id=GUILD_A).answered
    assert not ask(collections, question, guild_id=GUILD_A, threshold=1.0).answered


def test_removing_the_last_article_removes_the_collection(collections):
    collections.add(GUILD_A, "wombat.md", WOMBAT, limit=100_000, replace=False)
    collections.add(GUILD_A, "platypus.md", PLATYPUS, limit=100_000, replace=False)
    collections.remove(GUILD_A, "platypus.md")
    assert [a.path for a in collections.loaded(GUILD_A).articles()] == ["wombat.md"]
    change = collections.remove(GUILD_A, "wombat.md")
    assert change.report.removed == ("wombat.md",) and not collections.exists(GUILD_A)
    assert collections.loaded(GUILD_A) is None
    with pytest.raises(UnknownArticle):
        collections.remove(GUILD_A, "jax.md")  # a base article is not the server's to remove
    with pytest.raises(NoCollection):
        collections.reindex(GUILD_A)  # nothing left to index
    with pytest.raises(NoCollection):
        collections.reindex(GUILD_B)  # never had a collection


def test_a_server_article_is_deleted_once_reindexed_so_the_trash_never_fills_its_quota(collections):
    trash = collections.knowledge_dir(GUILD_A) / ".trash"
    collections.add(GUILD_A, "wombat.md", WOMBAT, limit=100_000, replace=False)
    collections.add(GUILD_A, "platypus.md", PLATYPUS, limit=100_000, replace=False)
    for name in ("platypus.md", "wombat.md"):  # one reindexed away, then the last one (index dropped)
        change = collections.remove(GUILD_A, name)
        assert change.trashed is None and not (collections.knowledge_dir(GUILD_A) / name).exists()
        assert not trash.exists() or list(trash.iterdir()) == []
    assert folder_usage(collections.knowledge_dir(GUILD_A)).bytes == 0


def test_a_server_article_comes_back_when_its_reindex_fails(collections, monkeypatch):
    collections.add(GUILD_A, "wombat.md", WOMBAT, limit=100_000, replace=False)
    collections.add(GUILD_A, "platypus.md", PLATYPUS, limit=100_000, replace=False)
    kb = collections.loaded(GUILD_A)

    def broken_reindex(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kb, "reindex", broken_reindex)
    with pytest.raises(OSError):
        collections.remove(GUILD_A, "platypus.md")
    assert (collections.knowledge_dir(GUILD_A) / "platypus.md").read_bytes() == PLATYPUS


def test_collections_load_lazily_and_the_least_recently_used_is_evicted(collections, tmp_path):
    for guild in (1, 2, 3):
        collections.add(guild, "wombat.md", WOMBAT, limit=100_000, replace=False)
    fresh = Collections(collections.base, collections.root, memory_budget=0)
    assert fresh.loaded_ids() == []  # nothing loaded until a question needs it
    sizes = []
    for guild in (1, 2, 3):
        fresh.loaded(guild)
        sizes.append(fresh.resident_bytes())  # with no budget, only the last one loaded stays
    budget = int(max(sizes) * 2.5)  # room for two collections, not three
    fresh = Collections(collections.base, collections.root, memory_budget=budget)
    for guild in (1, 2, 1, 3):  # 1 was used after 2, so 2 is the least recently used
        fresh.loaded(guild)
    assert fresh.loaded_ids() == [1, 3] and fresh.resident_bytes() <= budget
    assert ask(fresh, "What does the wombat dig optimiser train?", guild_id=2).answered  # loaded again
    assert fresh.loaded_ids() == [3, 2]


def test_a_change_made_by_another_process_is_picked_up_by_refresh(collections):
    collections.add(GUILD_A, "wombat.md", WOMBAT, limit=100_000, replace=False)
    other = Collections(collections.base, collections.root, memory_budget=10**9)  # another shard
    assert other.loaded(GUILD_A) is not None
    collections.add(GUILD_A, "platypus.md", PLATYPUS, limit=100_000, replace=False)
    assert other.refresh() == [GUILD_A]
    assert "platypus.md" in {a.path for a in other.loaded(GUILD_A).articles()}
    collections.delete(GUILD_A)
    assert other.refresh() == [GUILD_A] and other.loaded_ids() == []


def test_describe_lists_collections_with_their_sizes(collections):
    collections.add(GUILD_B, "platypus.md", PLATYPUS, limit=100_000, replace=False)
    collections.add(GUILD_A, "wombat.md", WOMBAT, limit=100_000, replace=False)
    described = collections.describe()
    assert [(c.guild_id, c.articles, c.passages) for c in described] == [(GUILD_A, 1, 1), (GUILD_B, 1, 1)]
    assert all(c.disk_bytes > 0 for c in described)
    assert collections.delete(GUILD_A) and not Path(collections.folder(GUILD_A)).exists()
    assert [c.guild_id for c in collections.describe()] == [GUILD_B]
