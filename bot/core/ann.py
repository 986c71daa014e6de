"""Choosing and building the FAISS index for a set of unit vectors (inner product = cosine)."""

from __future__ import annotations

import faiss
import numpy as np

# Exact search stays under a few milliseconds up to here on a small CPU; past it, approximate indexes.
EXACT_SEARCH_LIMIT = 50_000


def build_ann(vectors: np.ndarray, kind: str = "auto") -> tuple[faiss.Index, str]:
    """Build an index over `vectors`; returns it with the name of its type for the manifest."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dimension = vectors.shape[1]
    if kind == "auto":
        kind = "flat" if len(vectors) <= EXACT_SEARCH_LIMIT else "hnsw"
    if kind == "flat":
        index = faiss.IndexFlatIP(dimension)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    else:
        raise ValueError(f"unknown index kind {kind!r}")
    index.add(vectors)
    return index, kind
