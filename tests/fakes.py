"""A fast, deterministic stand-in for the model, for unit tests only (never the only test of a feature)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

WORD = re.compile(r"[a-z0-9]+")


class HashingEmbedder:
    """Bag of hashed words: texts sharing words are similar, so ranking tests stay meaningful."""

    backend = "fake"

    def __init__(self, dimension: int = 64, max_tokens: int = 64, model_name: str = "fake-hashing") -> None:
        self.model_name = model_name
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in WORD.findall(text.lower()):
                bucket = int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension
                vectors[row, bucket] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def count_tokens(self, text: str) -> int:
        return len(text.split())
