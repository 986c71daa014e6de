"""Approximate search against exact search on synthetic clustered vectors (ST's FAISS example does the same)."""

from __future__ import annotations

import time

import faiss
import numpy as np
import pytest

from bot.bench.synthetic import clustered_vectors
from bot.core.ann import (
    EXACT_SEARCH_LIMIT,
    FULL_VECTORS_LIMIT,
    build_ann,
    choose_kind,
    faiss_threads,
    ivf_lists,
    single_threaded_search,
)

SIZE = 20_000
QUERIES = 100
K = 10


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    vectors = clustered_vectors(SIZE + QUERIES, seed=7)
    queries, base = vectors[:QUERIES], vectors[QUERIES:]
    exact = faiss.IndexFlatIP(base.shape[1])
    exact.add(base)
    _, truth = exact.search(queries, K)
    return base, queries, truth


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)]))


@pytest.mark.parametrize("kind", ["flat", "ivf", "ivf-sq8"])
def test_each_kind_recalls_at_least_95_percent_of_exact_top_10(data, kind):
    base, queries, truth = data
    started = time.perf_counter()
    index, built = build_ann(base, kind)
    assert built == kind
    assert index.ntotal == SIZE
    _, found = index.search(queries, K)
    assert recall(found, truth) >= 0.95
    assert time.perf_counter() - started < 60


def test_search_parameters_survive_save_and_load(data, tmp_path):
    base, queries, truth = data
    index, _ = build_ann(base, "ivf-sq8")
    faiss.write_index(index, str(tmp_path / "v.faiss"))
    loaded = faiss.read_index(str(tmp_path / "v.faiss"))
    assert faiss.extract_index_ivf(loaded).nprobe == index.nprobe > 1
    _, found = loaded.search(queries, K)
    assert recall(found, truth) >= 0.95


def test_auto_is_exact_while_small_then_ivf_then_quantized():
    assert choose_kind(1) == "flat"
    assert choose_kind(EXACT_SEARCH_LIMIT) == "flat"
    assert choose_kind(EXACT_SEARCH_LIMIT + 1) == "ivf"
    assert choose_kind(FULL_VECTORS_LIMIT + 1) == "ivf-sq8"


def test_auto_on_a_small_set_is_exact(data):
    base, queries, truth = data
    index, kind = build_ann(base[:1000])
    assert kind == "flat"
    assert isinstance(index, faiss.IndexFlatIP)


def test_ivf_lists_shrink_for_few_vectors():
    assert ivf_lists(1_000_000) == 2000
    assert ivf_lists(100) == 2  # never more lists than the points can train


def test_tiny_inputs_still_build(data):
    base, queries, _ = data
    for kind in ("ivf", "ivf-sq8"):
        index, _ = build_ann(base[:50], kind)
        assert index.search(queries[:1], 5)[1].shape == (1, 5)


def test_unknown_kind_is_refused(data):
    with pytest.raises(ValueError, match="unknown index kind"):
        build_ann(data[0][:10], "pq")


def test_thread_helpers_restore_the_previous_count():
    before = faiss.omp_get_max_threads()
    with faiss_threads(1):
        assert faiss.omp_get_max_threads() == 1
    assert faiss.omp_get_max_threads() == before
    single_threaded_search()
    assert faiss.omp_get_max_threads() == 1
    faiss.omp_set_num_threads(before)
