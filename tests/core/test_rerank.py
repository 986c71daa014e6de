"""The optional re-ranker: a second model's passage vectors stored at build time (rerank.npy, the manifest's
rerank_model), the best passages re-ranked by the blend of both models' cosines, and an index without
the configured re-ranker's vectors refused by load_index and repaired by KnowledgeBase.load."""

import json

import numpy as np
import pytest

from bot import wiring
from bot.core.indexer import build_index
from bot.core.search import Searcher
from bot.core.service import KnowledgeBase
from bot.core.store import MANIFEST_FILE, RERANK_FILE, load_index, read_manifest
from bot.core.tuning import TUNING
from bot.errors import IndexCorrupt, IndexMismatch
from bot.settings import CoreSettings
from tests.core.test_search import BlindEmbedder
from tests.core.test_store import current_dir, make_kb
from tests.fakes import HashingEmbedder

QUESTION = "Which tool shows training curves?"


class CudaMinded(HashingEmbedder):
    """A second model that reads every question as one about CUDA: a question (ending in "?") and a
    text mentioning CUDA get one vector, anything else another, so it disagrees with the first."""

    def __init__(self, model_name: str = "fake-reranker", dimension: int = 2) -> None:
        super().__init__(dimension=dimension, model_name=model_name)

    def encode(self, texts):
        self.calls.append(len(texts))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            vectors[row, 0 if text.rstrip().endswith("?") or "cuda" in text.lower() else 1] = 1.0
        return vectors


def build(tmp_path, reranker=None):
    knowledge = make_kb(tmp_path)
    report = build_index(knowledge, tmp_path / "index", HashingEmbedder(), reranker=reranker)
    return knowledge, report


def test_the_blend_reorders_the_best_passages_and_is_the_hits_dense_score(tmp_path):
    reranker = CudaMinded()
    build(tmp_path, reranker)
    store = load_index(tmp_path / "index", rerank=(reranker.model_name, reranker.dimension))
    plain = Searcher(store, HashingEmbedder()).search(QUESTION, 3)
    reranked = Searcher(store, HashingEmbedder(), reranker).search(QUESTION, 3)

    assert plain[0].passage.section == "Board"  # the first model's choice ...
    assert reranked[0].passage.section == "GPU"  # ... and the blend's, as the second pulls
    dense = {hit.passage.id: hit.dense for hit in plain}
    for hit in reranked:
        second = 1.0 if "CUDA" in hit.passage.text else 0.0
        expected = (1 - TUNING.rerank_weight) * dense[hit.passage.id] + TUNING.rerank_weight * second
        assert hit.dense == pytest.approx(expected, abs=1e-6)
        assert hit.lexical == next(p.lexical for p in plain if p.passage.id == hit.passage.id)
    assert [hit.rank for hit in reranked] == [0, 1, 2]
    assert [hit.score for hit in reranked] == sorted((hit.score for hit in reranked), reverse=True)


def test_questions_asked_together_are_encoded_together_by_both_models(tmp_path):
    reranker = CudaMinded()
    knowledge, _ = build(tmp_path, reranker)
    kb = KnowledgeBase(knowledge, tmp_path / "index", HashingEmbedder(), threshold=0.1, reranker=reranker)
    kb.load(build_if_missing=False)
    reranker.calls.clear()
    answers = kb.ask_many([QUESTION, "How do graphs work?", "What does jit do?"])
    assert reranker.calls == [3]
    assert answers[0].hits[0].passage.section == "GPU"
    assert len(kb.searcher.search_many([QUESTION, "What does jit do?"], 2)) == 2 and reranker.calls == [3, 2]


def test_the_manifest_names_the_reranker_and_its_file_is_checksummed(tmp_path):
    reranker = CudaMinded()
    _, report = build(tmp_path, reranker)
    generation = current_dir(tmp_path / "index")
    manifest = read_manifest(generation)
    vectors = np.load(generation / RERANK_FILE)
    assert manifest.rerank_model == "fake-reranker" and RERANK_FILE in manifest.files
    assert vectors.shape == (manifest.passage_count, 2)
    assert reranker.calls == [manifest.passage_count] and report.embedded > manifest.passage_count
    (generation / RERANK_FILE).write_bytes(b"damaged")
    with pytest.raises(IndexCorrupt, match="rerank.npy"):
        load_index(tmp_path / "index")


def test_without_a_reranker_the_index_is_written_as_before(tmp_path):
    build(tmp_path)
    generation = current_dir(tmp_path / "index")
    assert not (generation / RERANK_FILE).exists()
    assert "rerank_model" not in json.loads((generation / MANIFEST_FILE).read_text())
    assert read_manifest(generation).rerank_model is None


def test_an_incremental_build_embeds_only_new_passages_with_the_reranker(tmp_path):
    reranker = CudaMinded()
    knowledge, _ = build(tmp_path, reranker)
    before = rerank_vectors_by_passage(tmp_path / "index")
    reranker.calls.clear()
    (knowledge / "keras.md").write_text("---\ntitle: Keras\n---\n## Layers\nKeras layers run on CUDA.")
    build_index(knowledge, tmp_path / "index", HashingEmbedder(), reranker=reranker)
    assert reranker.calls == [1]
    after = rerank_vectors_by_passage(tmp_path / "index")
    assert set(after) - set(before) == {"Layers"}
    assert all(np.array_equal(after[section], vector) for section, vector in before.items())
    assert after["Layers"].tolist() == [1.0, 0.0]


def rerank_vectors_by_passage(index_dir):
    store = load_index(index_dir)
    try:
        assert store.rerank_vectors is not None
        return {p.section: np.array(store.rerank_vectors[row]) for row, p in enumerate(store.all_passages())}
    finally:
        store.close()


def test_an_index_without_the_rerankers_vectors_is_refused_then_repaired_on_load(tmp_path):
    knowledge, _ = build(tmp_path)  # no re-ranker
    reranker = CudaMinded()
    with pytest.raises(IndexMismatch, match=r"rerank_model=None .*qabot index --full") as error:
        load_index(tmp_path / "index", rerank=(reranker.model_name, reranker.dimension))
    assert error.value.field == "rerank_model"

    kb = KnowledgeBase(knowledge, tmp_path / "index", HashingEmbedder(), threshold=0.1, reranker=reranker)
    with pytest.raises(IndexMismatch):
        kb.load(build_if_missing=False)
    main = HashingEmbedder()
    kb = KnowledgeBase(knowledge, tmp_path / "index", main, threshold=0.1, reranker=reranker)
    report = kb.load()
    assert report is not None and main.calls == [] and reranker.calls == [report.passages]
    assert kb.searcher.store.manifest.rerank_model == "fake-reranker"
    assert kb.ask(QUESTION).hits[0].passage.section == "GPU"

    other = CudaMinded("another-reranker", dimension=3)
    with pytest.raises(IndexMismatch, match="another-reranker"):
        load_index(tmp_path / "index", rerank=(other.model_name, other.dimension))
    # Without a re-ranker the index is served as it is, its re-rank vectors unused.
    plain = KnowledgeBase(knowledge, tmp_path / "index", HashingEmbedder(), threshold=0.1)
    assert plain.load(build_if_missing=False) is None
    assert plain.ask(QUESTION).hits[0].passage.section == "Board"


def test_a_reranker_of_another_dimension_under_the_same_name_is_re_embedded(tmp_path):
    knowledge, _ = build(tmp_path, CudaMinded())
    wider = CudaMinded(dimension=3)
    kb = KnowledgeBase(knowledge, tmp_path / "index", HashingEmbedder(), threshold=0.1, reranker=wider)
    report = kb.load()
    assert report is not None and wider.calls == [report.passages]
    assert kb.searcher.store.rerank_vectors is not None and kb.searcher.store.rerank_vectors.shape[1] == 3


def test_wiring_uses_the_rerank_threshold_only_with_a_reranker(tmp_path, monkeypatch):
    settings = CoreSettings(knowledge_dir=tmp_path / "k", index_dir=tmp_path / "i", _env_file=None)
    assert settings.rerank_model == "" and wiring.open_reranker(settings) is None
    assert wiring.knowledge_base(settings, HashingEmbedder()).threshold == settings.threshold
    loaded = []
    monkeypatch.setattr(
        wiring,
        "create_embedder",
        lambda model, backend, cache_dir=None: loaded.append((model, backend)) or CudaMinded(model),
    )
    with_reranker = settings.model_copy(update={"rerank_model": "some/model", "backend": "onnx-int8"})
    kb = wiring.knowledge_base(with_reranker, HashingEmbedder())
    assert kb.threshold == settings.rerank_threshold and kb.reranker is not None
    on_torch = with_reranker.model_copy(update={"backend": "torch"})
    wiring.knowledge_base(on_torch, HashingEmbedder())
    # fp32 ONNX beside either ONNX backend (int8 is not measured for a second model); torch beside torch
    assert loaded == [("some/model", "onnx"), ("some/model", "torch")]


@pytest.mark.model
def test_the_real_model_as_its_own_reranker_builds_loads_and_answers(tmp_path, real_embedder):
    """The bundled model stands in for the second one: the whole real path, without a second model."""
    import shutil

    from tests.conftest import KNOWLEDGE

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for name in ("tensorflow.md", "jax.md"):
        shutil.copy(KNOWLEDGE / name, knowledge / name)
    threshold = CoreSettings(_env_file=None).rerank_threshold
    kb = KnowledgeBase(
        knowledge, tmp_path / "index", real_embedder, threshold=threshold, reranker=real_embedder
    )
    report = kb.load()
    store = kb.searcher.store
    assert report is not None and store.manifest.rerank_model == real_embedder.model_name
    assert store.rerank_vectors is not None and store.rerank_vectors.shape == (
        len(store),
        real_embedder.dimension,
    )
    for question, article, phrase in [
        ("Who developed TensorFlow?", "tensorflow.md", "Google Brain"),
        ("What is jit in JAX?", "jax.md", "compiles"),
    ]:
        answer = kb.ask(question)
        assert answer.answered and answer.sources[0].path == article and phrase in answer.text
    assert not kb.ask("How do I bake sourdough bread?").answered
    again = KnowledgeBase(
        knowledge, tmp_path / "index", real_embedder, threshold=threshold, reranker=real_embedder
    )
    assert again.load() is None  # the stored vectors are the configured re-ranker's: nothing to rebuild


def test_reranking_draws_from_the_candidates_of_a_search_for_rerank_depth_passages(tmp_path):
    """The first model can't tell these passages apart: only a deeper candidate search reaches the one
    the second model prefers, which comes last in the index (the measured setting looked this deep)."""
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for number in range(TUNING.rerank_depth - 2):
        (knowledge / f"a{number:02d}.md").write_text(f"---\ntitle: Note {number}\n---\nTraining models.")
    (knowledge / "zz.md").write_text("---\ntitle: Cards\n---\nCUDA cards.")
    reranker = CudaMinded()
    build_index(knowledge, tmp_path / "index", BlindEmbedder(), reranker=reranker)
    store = load_index(tmp_path / "index", rerank=(reranker.model_name, reranker.dimension))
    assert Searcher(store, BlindEmbedder()).search("What is it?", 1)[0].passage.doc_path != "zz.md"
    assert Searcher(store, BlindEmbedder(), reranker).search("What is it?", 1)[0].passage.doc_path == "zz.md"
