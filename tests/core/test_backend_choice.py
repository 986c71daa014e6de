"""What QABOT_BACKEND=auto picks: the existing index's backend, else by the processor's int8 support."""

from __future__ import annotations

import pytest

from bot.core import onnx_embedding
from bot.core.indexer import build_index
from bot.core.onnx_embedding import CpuFeatures
from bot.core.store import MANIFEST_FILE, current_generation
from bot.wiring import auto_backend
from tests.conftest import KNOWLEDGE

AVX2 = CpuFeatures(machine="x86_64", avx2=True, avx512_vnni=False, avx_vnni=False)
VNNI = CpuFeatures(machine="x86_64", avx2=True, avx512_vnni=True, avx_vnni=False)
ARM = CpuFeatures(machine="aarch64", avx2=False, avx512_vnni=False, avx_vnni=False)


@pytest.fixture
def processor(monkeypatch):
    def use(features: CpuFeatures) -> None:
        monkeypatch.setattr(onnx_embedding, "cpu_features", lambda: features)

    return use


def build_with(index_dir, embedder, backend: str):
    embedder.backend = backend  # the manifest records what the embedder says it is
    build_index(KNOWLEDGE, index_dir, embedder)
    return index_dir


@pytest.mark.parametrize(("features", "expected"), [(AVX2, "onnx"), (VNNI, "onnx-int8"), (ARM, "onnx-int8")])
def test_without_an_index_the_processor_decides(tmp_path, processor, features, expected):
    processor(features)
    assert auto_backend(tmp_path / "no-index") == expected
    assert auto_backend(None) == expected


@pytest.mark.parametrize(("built_with", "features"), [("onnx", VNNI), ("onnx-int8", AVX2)])
def test_an_existing_index_keeps_its_backend_on_any_processor(
    tmp_path, fake_embedder, processor, built_with, features
):
    index_dir = build_with(tmp_path, fake_embedder, built_with)
    processor(features)
    assert auto_backend(index_dir) == built_with


def test_an_index_auto_would_not_pick_leaves_the_choice_to_the_processor(tmp_path, fake_embedder, processor):
    index_dir = build_with(tmp_path, fake_embedder, "torch")  # an explicit choice stays explicit
    processor(VNNI)
    assert auto_backend(index_dir) == "onnx-int8"


def test_a_damaged_manifest_does_not_stop_the_choice(tmp_path, fake_embedder, processor):
    index_dir = build_with(tmp_path, fake_embedder, "onnx-int8")
    (index_dir / current_generation(index_dir) / MANIFEST_FILE).write_text("{not json")
    processor(AVX2)
    assert auto_backend(index_dir) == "onnx"  # loading the index will report the damage
