"""Choosing and building the FAISS index for a set of unit vectors (inner product = cosine).

By size (`kind="auto"`): exact search (flat) while one query stays under a few milliseconds, then an
inverted file (IVF) with full vectors, then IVF over 8-bit scalar-quantized vectors, which needs a quarter
of the memory. Search parameters (nprobe) are set on the index, so they are saved with it, at
values that keep recall@10 against exact search at or above 0.95 (see tests/core/test_ann.py and
`python -m bot.bench --ann-sizes`).

One query gains nothing from OpenMP threads (two threads make a flat search of 100k vectors ~2x slower on
two cores), so the query path runs FAISS single-threaded: call `single_threaded_search()` once at start-up.
Builds use every core through `faiss_threads`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import faiss
import numpy as np

from bot.core.files import cpu_cores

# Exact search of this many 384-d vectors takes ~3 ms single-threaded on a small CPU; past it, approximate.
EXACT_SEARCH_LIMIT = 50_000
# Past this many vectors full-precision lists cost more memory (1.5 GB at 1M x 384) than they earn in
# recall; 8-bit scalar quantization keeps recall@10 >= 0.95 at a quarter of it.
FULL_VECTORS_LIMIT = 300_000
KINDS = ("flat", "ivf", "ivf-sq8")
TRAINING_POINTS_PER_LIST = 32  # k-means samples per list and iterations: stable centroids, quick to train
TRAINING_ITERATIONS = 10
MIN_POINTS_PER_LIST = 39  # FAISS warns below this many training points per centroid


@contextlib.contextmanager
def faiss_threads(count: int) -> Iterator[None]:
    """Run the block with `count` OpenMP threads in FAISS (process-wide), then restore the old count."""
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def single_threaded_search() -> None:
    """Make FAISS use one thread: fastest for the one-question-at-a-time searches of the answer path."""
    faiss.omp_set_num_threads(1)


def choose_kind(count: int) -> str:
    if count <= EXACT_SEARCH_LIMIT:
        return "flat"
    return "ivf" if count <= FULL_VECTORS_LIMIT else "ivf-sq8"


def ivf_lists(count: int) -> int:
    """About 2 * sqrt(n) lists (2,000 at 1M): half FAISS's 4 * sqrt(n) guideline, which quarters training
    time on two cores for ~0.5 ms more per query; fewer when there are too few points to train them."""
    return max(1, min(int(2 * math.sqrt(count)), count // MIN_POINTS_PER_LIST))


def ivf_probes(lists: int) -> int:
    """Lists visited per query: ~1.5% of them, at least 16 (recall@10 >= 0.95 on clustered data)."""
    return min(lists, max(16, lists // 64))


def build_ann(vectors: np.ndarray, kind: str = "auto") -> tuple[faiss.Index, str]:
    """Build an index over `vectors`; returns it with the name of its type for the manifest."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    count, dimension = vectors.shape
    if kind == "auto":
        kind = choose_kind(count)
    if kind not in KINDS:
        raise ValueError(f"unknown index kind {kind!r}; expected one of {KINDS}")
    with faiss_threads(cpu_cores()):
        if kind == "flat":
            index: faiss.Index = faiss.IndexFlatIP(dimension)
        else:
            index = _train_ivf(vectors, sq8=kind == "ivf-sq8")
        index.add(vectors)
    return index, kind


def _train_ivf(vectors: np.ndarray, sq8: bool) -> faiss.Index:
    count, dimension = vectors.shape
    lists = ivf_lists(count)
    quantizer = faiss.IndexFlatIP(dimension)
    index: faiss.IndexIVF
    if sq8:
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, dimension, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
    else:
        index = faiss.IndexIVFFlat(quantizer, dimension, lists, faiss.METRIC_INNER_PRODUCT)
    index.cp.max_points_per_centroid = TRAINING_POINTS_PER_LIST
    index.cp.niter = TRAINING_ITERATIONS
    index.cp.min_points_per_centroid = 1  # small inputs: train with what there is, silently
    sample = min(count, lists * TRAINING_POINTS_PER_LIST)
    rows = (
        np.random.default_rng(0).choice(count, size=sample, replace=False) if sample < count else slice(None)
    )
    index.train(vectors[rows])
    index.nprobe = ivf_probes(lists)
    return index
