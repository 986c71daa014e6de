"""The ONNX embedder against sentence-transformers itself, with the real bundled model."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from bot.core import onnx_embedding
from bot.core.embedding import create_embedder

pytestmark = pytest.mark.model

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
LONG = " ".join(
    f"Paragraph {n}: gradient checkpointing trades compute for memory by recomputing activations."
    for n in range(60)
)
TEXTS = [
    "What is PyTorch?",
    "hi",
    "How do I move a tensor to the GPU without copying it twice?",
    LONG,  # > 256 word pieces: both sides must truncate the same way
    "Überprüfe die CUDA-Version — naïve café façade, 東京の機械学習, emoji 🚀🔥, math ∑ x² ≤ ∞",
    "def f(x):\n    return torch.relu(x) @ w.T  # code, with newlines\n\tand tabs",
    "   leading and trailing spaces   ",
    "Keras 3 runs on JAX, TensorFlow or PyTorch backends; which one should I choose for TPUs?",
]


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def torch_embedder():
    """sentence-transformers itself on torch: the reference the ONNX vectors must match."""
    return create_embedder(MODEL, "torch")


@pytest.fixture(scope="session")
def onnx_fp32(model_cache):
    return create_embedder(MODEL, "onnx", cache_dir=model_cache)


@pytest.fixture(scope="session")
def onnx_int8(model_cache, onnx_fp32):
    return create_embedder(MODEL, "onnx-int8", cache_dir=model_cache)


def row_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_fp32_vectors_match_sentence_transformers(onnx_fp32, torch_embedder):
    ours, reference = onnx_fp32.encode(TEXTS), torch_embedder.encode(TEXTS)
    assert ours.shape == reference.shape == (len(TEXTS), 384)
    assert ours.dtype == np.float32
    assert row_cosines(ours, reference).min() >= 0.999


def test_long_text_is_really_truncated_at_max_seq_length(onnx_fp32, torch_embedder):
    assert onnx_fp32.count_tokens(LONG) > 300
    assert onnx_fp32.max_tokens == torch_embedder.max_tokens == 256


def test_int8_vectors_stay_close(onnx_int8, torch_embedder):
    cosines = row_cosines(onnx_int8.encode(TEXTS), torch_embedder.encode(TEXTS))
    assert cosines.mean() >= 0.98
    assert cosines.min() >= 0.95


def test_vectors_are_unit_length_and_batch_independent(onnx_fp32):
    together = onnx_fp32.encode(TEXTS)
    alone = np.vstack([onnx_fp32.encode([text]) for text in TEXTS])
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert row_cosines(together, alone).min() >= 0.9999  # padding to the longest text changes nothing


def test_int8_vector_of_a_text_does_not_depend_on_its_batch(onnx_int8):
    # dynamic quantization scales activations per model call; one text per call keeps vectors stable
    together = onnx_int8.encode(TEXTS)
    alone = np.vstack([onnx_int8.encode([text]) for text in TEXTS])
    np.testing.assert_array_equal(together, alone)


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_spreading_batches_over_workers_gives_the_same_vectors(model_cache, onnx_int8, backend):
    many = [f"{text} (variant {n})" for n in range(6) for text in TEXTS]  # several batches per worker
    one_worker = onnx_embedding.create_onnx_embedder(
        MODEL, model_cache, quantized=backend == "onnx-int8", threads=1
    )
    two_workers = onnx_embedding.create_onnx_embedder(
        MODEL, model_cache, quantized=backend == "onnx-int8", threads=2
    )
    assert row_cosines(one_worker.encode(many), two_workers.encode(many)).min() >= 0.99999


def test_exported_graph_uses_fused_attention(onnx_fp32):
    import onnx

    graph = onnx.load(str(onnx_fp32.directory / onnx_embedding.FP32_FILE)).graph
    assert sum(node.op_type == "Attention" for node in graph.node) == 6  # one per layer of MiniLM-L6


def test_int8_model_keeps_the_first_layer_in_fp32(onnx_int8):
    import onnx

    first_layer = onnx_embedding.first_layer_nodes(onnx_int8.directory / onnx_embedding.FP32_FILE)
    assert len(first_layer) == 4  # fused attention, its output projection, FFN in and out
    nodes = onnx.load(str(onnx_int8.directory / onnx_embedding.INT8_FILE)).graph.node
    fp32_ops = {node.name for node in nodes if node.op_type in ("MatMul", "Attention")}
    quantized = [node.op_type for node in nodes if node.op_type in ("MatMulInteger", "QAttention")]
    assert set(first_layer) <= fp32_ops
    assert sorted(set(quantized)) == ["MatMulInteger", "QAttention"]
    assert quantized.count("QAttention") == 5  # the five other layers


def test_empty_input_gives_empty_matrix(onnx_fp32):
    assert onnx_fp32.encode([]).shape == (0, 384)


def test_count_tokens_equals_the_torch_embedders(onnx_fp32, torch_embedder):
    for text in [*TEXTS, "", "don't", "multi-GPU all-reduce (NCCL)"]:
        assert onnx_fp32.count_tokens(text) == torch_embedder.count_tokens(text), text


def test_backend_names_are_recorded(onnx_fp32, onnx_int8):
    assert (onnx_fp32.backend, onnx_int8.backend) == ("onnx", "onnx-int8")
    assert onnx_fp32.model_name == MODEL


def test_second_creation_reuses_the_cached_export(model_cache, onnx_fp32, monkeypatch):
    exported = onnx_fp32.directory / onnx_embedding.FP32_FILE
    before = exported.stat().st_mtime_ns

    def no_export(*args, **kwargs):
        raise AssertionError("the model was exported again")

    monkeypatch.setattr(onnx_embedding, "export_model", no_export)
    again = create_embedder(MODEL, "onnx", cache_dir=model_cache)
    assert again.directory == onnx_fp32.directory
    assert exported.stat().st_mtime_ns == before
    assert not list(model_cache.glob(".tmp-*"))  # no staging directory left behind


def test_cached_model_loads_without_importing_torch(model_cache, onnx_fp32):
    code = (
        "import sys; from pathlib import Path; from bot.settings import CoreSettings; "
        "from bot.wiring import open_embedder; "
        f"e = open_embedder(CoreSettings(model={MODEL!r}, backend='auto', index_dir=Path('/nonexistent'), "
        f"model_cache_dir=Path({str(model_cache)!r}))); e.encode(['hi']); "
        "print(e.backend, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    backend, torch_loaded, st_loaded = result.stdout.split()
    assert backend in ("onnx", "onnx-int8")
    assert (torch_loaded, st_loaded) == ("False", "False")


def test_index_built_with_another_backend_is_refused(tmp_path, fake_embedder):
    from bot.core.indexer import build_index
    from bot.core.store import load_index
    from bot.errors import IndexMismatch
    from tests.conftest import KNOWLEDGE

    build_index(KNOWLEDGE, tmp_path, fake_embedder)
    load_index(tmp_path, backend="fake").close()
    with pytest.raises(IndexMismatch) as refused:
        load_index(tmp_path, backend="onnx-int8")
    assert (refused.value.field, refused.value.expected, refused.value.found) == (
        "backend",
        "onnx-int8",
        "fake",
    )


def test_a_model_cache_that_is_a_file_is_a_model_error_naming_the_setting(tmp_path):
    from bot.errors import ModelError
    from bot.settings import DEFAULT_MODEL

    (tmp_path / "cache").write_text("not a folder")
    with pytest.raises(ModelError) as raised:
        onnx_embedding.create_onnx_embedder(DEFAULT_MODEL, tmp_path / "cache")
    assert "QABOT_MODEL_CACHE_DIR" in str(raised.value) and "\n" not in str(raised.value)


def test_a_model_folder_that_holds_no_model_is_a_model_error(tmp_path):
    from bot.errors import ModelError

    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    with pytest.raises(ModelError) as raised:
        onnx_embedding.create_onnx_embedder(str(tmp_path / "etc"), tmp_path / "cache")
    assert "can't export it to ONNX" in str(raised.value) and "\n" not in str(raised.value)
    assert not [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]  # no half-made export left
