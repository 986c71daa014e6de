"""The index on disk, with real FAISS and a fake embedder: atomic writes, verified loads, incremental builds."""

import json
import multiprocessing
import os
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from bot.core.chunking import chunk_document
from bot.core.files import file_sha256
from bot.core.indexer import build_index
from bot.core.search import Searcher
from bot.core.store import (
    CURRENT_FILE,
    EMBEDDINGS_FILE,
    FAISS_FILE,
    LEXICAL_FILE,
    MANIFEST_FILE,
    load_index,
)
from bot.errors import IndexBusy, IndexCorrupt, IndexMismatch, IndexMissing
from tests.fakes import HashingEmbedder

ARTICLES = {
    "torch.md": "---\ntitle: PyTorch\n---\n## Graphs\nPyTorch builds dynamic graphs as code runs.\n\n"
    "Debugging uses normal Python tools.\n## GPU\nCUDA tensors run on NVIDIA cards.",
    "tf.md": "---\ntitle: TensorFlow\n---\n## Board\nTensorBoard shows training curves.",
    "jax.md": "---\ntitle: JAX\n---\n## Jit\njax.jit compiles functions with XLA.",
}


def make_kb(root: Path, articles: dict[str, str] = ARTICLES) -> Path:
    knowledge = root / "knowledge"
    knowledge.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (knowledge / name).write_text(text)
    return knowledge


def current_dir(index_dir: Path) -> Path:
    return index_dir / (index_dir / CURRENT_FILE).read_text().strip()


def test_build_then_search_finds_the_matching_passage(tmp_path, fake_embedder):
    report = build_index(make_kb(tmp_path), tmp_path / "index", fake_embedder)
    assert (report.articles, report.skipped, report.rebuilt) == (3, (), True)
    hits = Searcher(load_index(tmp_path / "index"), fake_embedder).search("jit compiles XLA", 3)
    assert hits[0].passage.doc_path == "jax.md" and hits[0].score > hits[-1].score


def test_flat_search_scores_equal_brute_force_cosine(tmp_path, fake_embedder):
    build_index(make_kb(tmp_path), tmp_path / "index", fake_embedder)
    store = load_index(tmp_path / "index")
    query = fake_embedder.encode(["tensorboard curves"])[0]
    scores, rows = store.search_views(query[None, :], 5)
    exact = np.load(current_dir(tmp_path / "index") / EMBEDDINGS_FILE) @ query
    assert np.allclose(scores[0], np.sort(exact)[::-1][:5], atol=1e-5)


def test_incremental_reindex_embeds_only_changes_and_equals_full_rebuild(tmp_path):
    embedder = HashingEmbedder()
    knowledge = make_kb(tmp_path)
    build_index(knowledge, tmp_path / "index", embedder)
    (knowledge / "tf.md").write_text("---\ntitle: TensorFlow\n---\n## Board\nTensorBoard shows graphs too.")
    (knowledge / "jax.md").unlink()
    (knowledge / "keras.md").write_text("---\ntitle: Keras\n---\nKeras 3 runs on three backends.")
    embedder.calls.clear()
    report = build_index(knowledge, tmp_path / "index", embedder)
    assert (report.added, report.changed, report.removed) == (("keras.md",), ("tf.md",), ("jax.md",))
    assert sum(embedder.calls) == report.embedded == 4  # two new passages, two views each
    incremental = load_index(tmp_path / "index")
    build_index(knowledge, tmp_path / "full", embedder, full=True)
    full = load_index(tmp_path / "full")
    assert incremental.all_passages() == full.all_passages()  # ids, text, headings, urls, order
    assert np.allclose(incremental.embeddings, full.embeddings)
    assert np.allclose(incremental.sentence_vectors, full.sentence_vectors)
    assert incremental.manifest.articles == full.manifest.articles
    assert set(incremental.lexical.vocabulary) == set(full.lexical.vocabulary)  # jax.md's words gone
    for question in ("TensorBoard graphs", "Keras backends", "jit compiles XLA"):
        assert np.allclose(incremental.lexical.coverage(question), full.lexical.coverage(question))


def test_incremental_reindex_chunks_only_new_and_changed_articles(tmp_path, monkeypatch):
    import bot.core.indexer as indexer

    knowledge = make_kb(tmp_path)
    build_index(knowledge, tmp_path / "index", HashingEmbedder())
    (knowledge / "tf.md").write_text("---\ntitle: TensorFlow\n---\n## Board\nTensorBoard shows graphs.")
    chunked: list[str] = []

    def recording(document, *args):
        chunked.append(document.path)
        return chunk_document(document, *args)

    monkeypatch.setattr(indexer, "chunk_document", recording)
    build_index(knowledge, tmp_path / "index", HashingEmbedder())
    assert chunked == ["tf.md"]
    chunked.clear()
    build_index(knowledge, tmp_path / "index", HashingEmbedder(max_tokens=32))  # another token limit
    assert sorted(chunked) == sorted(ARTICLES)


def test_unchanged_knowledge_keeps_the_current_generation(tmp_path, fake_embedder):
    knowledge = make_kb(tmp_path)
    first = build_index(knowledge, tmp_path / "index", fake_embedder)
    second = build_index(knowledge, tmp_path / "index", fake_embedder)
    assert not second.rebuilt and second.generation == first.generation and second.embedded == 0


def test_missing_index_and_model_mismatch_are_refused(tmp_path, fake_embedder):
    with pytest.raises(IndexMissing):
        load_index(tmp_path / "index")
    build_index(make_kb(tmp_path), tmp_path / "index", fake_embedder)
    with pytest.raises(IndexMismatch, match="model"):
        load_index(tmp_path / "index", model="other-model")
    with pytest.raises(IndexMismatch, match="dimension"):
        load_index(tmp_path / "index", dimension=384)


@pytest.mark.parametrize("name", [FAISS_FILE, LEXICAL_FILE])
@pytest.mark.parametrize("damage", ["truncate", "flip", "delete", "manifest"])
def test_damaged_files_give_a_clear_error_that_says_reindex(tmp_path, fake_embedder, damage, name):
    build_index(make_kb(tmp_path), tmp_path / "index", fake_embedder)
    generation = current_dir(tmp_path / "index")
    target = generation / name
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:40])
    elif damage == "flip":
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "delete":
        target.unlink()
    else:
        (generation / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(IndexCorrupt, match="qabot index --full"):
        load_index(tmp_path / "index")


def test_a_corrupt_index_is_replaced_by_the_next_build(tmp_path, fake_embedder):
    knowledge = make_kb(tmp_path)
    build_index(knowledge, tmp_path / "index", fake_embedder)
    (current_dir(tmp_path / "index") / FAISS_FILE).write_bytes(b"junk")
    report = build_index(knowledge, tmp_path / "index", fake_embedder)
    assert report.rebuilt and load_index(tmp_path / "index").manifest.passage_count == report.passages


def _build_forever(knowledge: Path, index_dir: Path) -> None:
    embedder = HashingEmbedder()
    n = 0
    while True:
        (knowledge / "extra.md").write_text(f"---\ntitle: Extra\n---\nround {n} " + "word " * (n % 50))
        build_index(knowledge, index_dir, embedder)
        n += 1


def test_killing_a_build_at_any_moment_leaves_a_loadable_index(tmp_path, fake_embedder):
    knowledge = make_kb(tmp_path)
    build_index(knowledge, tmp_path / "index", fake_embedder)
    context = multiprocessing.get_context("spawn")
    for delay in (0.5, 0.8, 1.1, 1.4, 1.7):
        process = context.Process(target=_build_forever, args=(knowledge, tmp_path / "index"))
        process.start()
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
        process.join(10)
        store = load_index(tmp_path / "index")  # verifies every checksum
        assert store.manifest.passage_count >= 4


def test_a_second_concurrent_build_is_refused(tmp_path, fake_embedder):
    from bot.core.indexer import build_lock

    knowledge = make_kb(tmp_path)
    with build_lock(tmp_path / "index"), pytest.raises(IndexBusy):
        build_index(knowledge, tmp_path / "index", fake_embedder)


def test_old_generations_are_pruned(tmp_path, fake_embedder):
    knowledge = make_kb(tmp_path)
    for n in range(4):
        (knowledge / "n.md").write_text(f"---\ntitle: N\n---\nversion {n}")
        build_index(knowledge, tmp_path / "index", fake_embedder)
    assert len(list((tmp_path / "index").glob("gen-*"))) == 2
    shutil.rmtree(tmp_path / "index")


def test_sentence_vectors_are_stored_so_answers_need_no_model_call(tmp_path):
    embedder = HashingEmbedder()
    build_index(make_kb(tmp_path), tmp_path / "index", embedder)
    store = load_index(tmp_path / "index")
    sentence = "Debugging uses normal Python tools."
    assert np.allclose(store.sentence_vector(sentence), embedder.encode([sentence])[0])
    assert store.sentence_vector("A sentence that is in no article.") is None


def test_an_intact_file_this_version_cannot_read_is_reported_not_raised(tmp_path, fake_embedder):
    """A file whose checksum matches but whose content another version wrote (same format number)."""
    build_index(make_kb(tmp_path), tmp_path / "index", fake_embedder)
    generation = current_dir(tmp_path / "index")
    with (generation / LEXICAL_FILE).open("wb") as handle:
        np.savez(handle, something_else=np.arange(3))
    manifest = json.loads((generation / MANIFEST_FILE).read_text())
    manifest["files"][LEXICAL_FILE] = file_sha256(generation / LEXICAL_FILE)
    (generation / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(IndexCorrupt, match="qabot index --full"):
        load_index(tmp_path / "index")


def test_an_index_from_another_format_version_is_rebuilt_on_load_but_refused_when_asked_not_to(
    tmp_path, fake_embedder
):
    from bot.core.service import KnowledgeBase

    knowledge = make_kb(tmp_path)
    build_index(knowledge, tmp_path / "index", fake_embedder)
    old = current_dir(tmp_path / "index")
    manifest = json.loads((old / MANIFEST_FILE).read_text())
    (old / MANIFEST_FILE).write_text(json.dumps({**manifest, "format_version": 1}))

    kb = KnowledgeBase(knowledge, tmp_path / "index", fake_embedder, threshold=0.1)
    with pytest.raises(IndexMismatch, match="format_version"):
        kb.load(build_if_missing=False)
    report = kb.load()
    assert report is not None and report.rebuilt and current_dir(tmp_path / "index") != old
    assert kb.ask("jit compiles XLA").hits[0].passage.doc_path == "jax.md"
