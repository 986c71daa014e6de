"""FAISS at scale on synthetic clustered 384-d unit vectors: the index build_ann picks vs exact search."""

from __future__ import annotations

import time

import faiss
import numpy as np

from bot.bench.stats import summary
from bot.bench.synthetic import clustered_vectors
from bot.core.ann import build_ann, faiss_threads, single_threaded_search
from bot.core.files import cpu_cores

QUERIES = 200
EXACT_TIMED_QUERIES = 20  # exact search of 1M vectors is ~50 ms a query: a few are enough for its median
K = 10


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def bench_ann(size: int, kind: str = "auto", queries: int = QUERIES) -> dict:
    data = clustered_vectors(size + queries, seed=size)
    probes, vectors = data[:queries], data[queries:]
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    with faiss_threads(cpu_cores()):
        _, truth = exact.search(probes, K)  # ground truth, in one multi-threaded batch
    started = time.perf_counter()
    index, chosen = build_ann(vectors, kind)
    build_seconds = time.perf_counter() - started
    single_threaded_search()
    exact_times = _time_queries(exact, probes[:EXACT_TIMED_QUERIES])[0]
    times, found = _time_queries(index, probes)
    del exact
    return {
        "vectors": size,
        "index_type": chosen,
        "params": _params(index),
        "build_s": round(build_seconds, 2),
        "index_mb": round(faiss.serialize_index(index).nbytes / 2**20, 1),
        "flat_mb": round(vectors.nbytes / 2**20, 1),
        "search": summary(times),
        "exact_search": summary(exact_times),
        "recall@10": round(recall_at_k(found, truth), 4),
    }


def _time_queries(index: faiss.Index, probes: np.ndarray) -> tuple[list[float], np.ndarray]:
    index.search(probes[:1], K)
    times, found = [], []
    for probe in probes:
        started = time.perf_counter()
        _, rows = index.search(probe[None, :], K)
        times.append(time.perf_counter() - started)
        found.append(rows[0])
    return times, np.array(found)


def _params(index: faiss.Index) -> dict:
    if isinstance(index, faiss.IndexIVF):
        return {"nlist": index.nlist, "nprobe": index.nprobe}
    return {}
