"""Embedders: text -> L2-normalised float32 vectors, so inner product is cosine similarity.

Heavy libraries (torch, sentence-transformers) are imported lazily, inside the factory, so importing the
core stays cheap and tests that use a fake embedder never load them.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from bot.core.model_files import quiet_model_loading, resolve_model_path
from bot.errors import ModelError

log = logging.getLogger(__name__)

ENCODE_BATCH_SIZE = 32
DEFAULT_MODEL_CACHE = Path("index/models")  # CoreSettings.model_cache_dir
ONNX_BACKENDS = ("onnx", "onnx-int8")


@runtime_checkable
class Embedder(Protocol):
    """What the core needs from a model. `encode` returns (n, dimension) float32, rows of unit length."""

    model_name: str
    backend: str
    dimension: int
    max_tokens: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...




class SentenceTransformerEmbedder:
    """The reference backend: sentence-transformers on torch, on the CPU unless told otherwise."""

    backend = "torch"

    def __init__(self, model_name: str, device: str = "cpu") -> None:
        path = resolve_model_path(model_name)
        if path != model_name:
            # The bundled copy is complete; never let the hub client try the network for it.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer

            quiet_model_loading()
            self._model = SentenceTransformer(path, device=device)
        except (OSError, ValueError) as error:
            raise ModelError(model_name, str(error).splitlines()[0]) from None
        self.model_name = model_name
        dimension, max_tokens = self._model.get_embedding_dimension(), self._model.max_seq_length
        if dimension is None or max_tokens is None:  # typed as optional; a sentence model has both
            raise ModelError(model_name, "the model states no vector dimension or input length")
        self.dimension = int(dimension)
        self.max_tokens = int(max_tokens)
        self._tokenizer = self._model.tokenizer
        # The Hugging Face fast tokenizer is not safe to call from two threads at once (a reindex thread
        # beside the bot's question worker fails with "expected sequence of length ..."), so calls take turns.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts), batch_size=ENCODE_BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        """Word pieces the model will read, without [CLS]/[SEP] (the chunker reserves those)."""
        with self._lock:
            return len(self._tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])


def create_embedder(model: str, backend: str, cache_dir: Path | None = None) -> Embedder:
    """The one place a model is loaded, with the backend it is given:

    "torch" (sentence-transformers), "onnx" (fp32) or "onnx-int8" (onnxruntime on a model exported once
    into `cache_dir`). Settling "auto" is the entry point's job (bot.wiring), which knows the machine and
    the index; the backend is in `embedder.backend`, which the index manifest records.
    """
    if backend == "torch":
        return SentenceTransformerEmbedder(model)
    if backend not in ONNX_BACKENDS:
        raise ModelError(model, f"unknown backend {backend!r}")
    missing = missing_onnx_libraries()
    if missing:
        raise ModelError(model, f"backend {backend!r} needs {' and '.join(missing)} installed")
    from bot.core.onnx_embedding import create_onnx_embedder

    return create_onnx_embedder(model, cache_dir or DEFAULT_MODEL_CACHE, quantized=backend == "onnx-int8")


def missing_onnx_libraries() -> list[str]:
    """The libraries the ONNX backends need that are not installed (optional extras on some machines)."""
    return [name for name in ("onnxruntime", "tokenizers") if importlib.util.find_spec(name) is None]
