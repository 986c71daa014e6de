"""Ranking with the lexical score, on a real FAISS index built by the indexer (no model)."""

import numpy as np

from bot.core.indexer import build_index
from bot.core.search import Searcher
from bot.core.store import load_index
from tests.fakes import HashingEmbedder


class BlindEmbedder(HashingEmbedder):
    """Every text gets the same vector: the dense score can't tell passages apart."""

    def encode(self, texts):
        self.calls.append(len(texts))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        vectors[:, 0] = 1.0
        return vectors


def test_a_passage_the_dense_search_misses_is_found_by_its_rare_word(tmp_path):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for number in range(80):  # far more views than the dense search returns as candidates
        (knowledge / f"a{number:02d}.md").write_text(
            f"---\ntitle: Note {number}\n---\nTraining models on GPUs."
        )
    (knowledge / "xla.md").write_text("---\ntitle: Compilers\n---\nXLA compiles whole programs for TPUs.")
    embedder = BlindEmbedder()
    build_index(knowledge, tmp_path / "index", embedder)
    searcher = Searcher(load_index(tmp_path / "index"), embedder)

    best = searcher.search("What is XLA?", 3)[0]
    assert best.passage.doc_path == "xla.md"
    assert best.lexical > 0.3 and best.dense == 1.0 and best.confidence > best.score > best.dense
