"""The fast embedder: onnxruntime + tokenizers on a model exported once from sentence-transformers.

The first use of a model exports it with `torch.onnx.export` (transformer, mean pooling and L2
normalisation inside the graph, dynamic batch and sequence axes), quantizes a copy to int8 with
onnxruntime's `quantize_dynamic`, and caches both under `cache_dir/<model>-<hash of the model files>/`.
Every later process loads the cached files without importing torch, which is what lets `qabot ask` start
in well under a second. Inputs are padded to the longest text of each batch, never to a fixed 128.

Backends: "onnx" (fp32, vectors match sentence-transformers' to cosine >= 0.999) and "onnx-int8".
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import re
import shutil
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.core.files import cpu_cores, file_lock, hash_file, write_atomically
from bot.core.model_files import local_model_dir, quiet_model_loading
from bot.errors import ModelError

log = logging.getLogger(__name__)

EXPORT_FORMAT = 5  # bump when the exported graph changes, so old caches are not reused
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
OPTIMIZED_SUFFIX = ".opt.onnx"  # graph optimisations applied once at export: a session loads ~70 ms sooner
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "export.json"
FINGERPRINTS_FILE = "fingerprints.json"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
# Texts per model call. Small batches on one single-threaded session per core beat one big batch on a
# multi-threaded session: on 2 AVX2 cores +23 % texts/s (fp32, 8 per call) and +30 % (int8). int8 runs
# one text per call because dynamic quantization scales activations per call: batched, a text's vector
# would depend on its neighbours in the batch (cosine down to 0.95 between two batchings).
FP32_BATCH = 8
INT8_BATCH = 1
SOURCE_SUFFIXES = (".json", ".txt", ".safetensors", ".bin", ".model")


@dataclass(frozen=True)
class CpuFeatures:
    machine: str
    avx2: bool
    avx512_vnni: bool
    avx_vnni: bool

    @property
    def fast_int8(self) -> bool:
        """Whether onnxruntime has int8 kernels here that beat fp32 clearly (VNNI, or ARM64 dot products)."""
        return self.avx512_vnni or self.avx_vnni or self.machine in ("aarch64", "arm64")

    def describe(self) -> str:
        names = [n for n in ("avx2", "avx512_vnni", "avx_vnni") if getattr(self, n)]
        return f"{self.machine} {' '.join(names) or 'no-simd-flags'}"


def cpu_features() -> CpuFeatures:
    flags: set[str] = set()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                flags = set(line.split(":", 1)[1].split())
                break
    return CpuFeatures(
        machine=platform.machine().lower(),
        avx2="avx2" in flags,
        avx512_vnni="avx512_vnni" in flags,
        avx_vnni="avx_vnni" in flags,
    )


# -- the cache ---------------------------------------------------------------------------------------
def _slug(model: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", model.casefold()).strip("-")[:60]


def source_fingerprint(source: Path, cache_dir: Path) -> str:
    """sha256 over the model's files; memoised by (path, size, mtime) so a warm start hashes nothing big."""
    files = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix in SOURCE_SUFFIXES)
    signature = json.dumps(
        [(str(p.relative_to(source)), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    )
    memo_path = cache_dir / FINGERPRINTS_FILE
    try:
        memo: dict[str, str] = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    key = f"{source.resolve()}:{hashlib.sha256(signature.encode()).hexdigest()}"
    if key in memo:
        return memo[key]
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(source)).encode() + b"\0")
        hash_file(digest, path)
    memo[key] = digest.hexdigest()
    cache_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(memo_path, json.dumps(memo, indent=1))
    return memo[key]


def _export_lock(cache_dir: Path, name: str) -> contextlib.AbstractContextManager[None]:
    """One export per model at a time across processes; the others wait and then reuse it."""
    return file_lock(cache_dir / f".{name}.lock")


def exported_model_dir(model: str, cache_dir: Path) -> Path:
    """The cache directory holding `model` as ONNX (fp32 and int8), exporting it on first use."""
    source = local_model_dir(model)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a file in the way (QABOT_MODEL_CACHE_DIR=/etc/passwd), no permission
        raise ModelError(
            model,
            f"can't use {cache_dir} as the model cache ({error.strerror or error}); "
            "choose another folder with QABOT_MODEL_CACHE_DIR",
        ) from None
    name = f"{_slug(model)}-{source_fingerprint(source, cache_dir)[:16]}-v{EXPORT_FORMAT}"
    target = cache_dir / name
    if (target / META_FILE).is_file():
        return target
    with _export_lock(cache_dir, name):
        if (target / META_FILE).is_file():  # another process exported it while we waited
            return target
        staging = cache_dir / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
        staging.mkdir()
        try:
            export_model(model, source, staging)
            os.replace(staging, target)
        except (OSError, ValueError) as error:  # a folder that holds no model (QABOT_MODEL=/etc)
            raise ModelError(model, f"can't export it to ONNX: {str(error).splitlines()[0]}") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def export_model(model: str, source: Path, out: Path) -> None:
    """Write model.onnx, model-int8.onnx, tokenizer.json and export.json for `source` into `out`."""
    log.info("exporting %s to ONNX in %s (once per model)", model, out)
    traced = out / "traced.onnx"
    meta = export_sentence_transformer(source, traced)
    meta["fused"] = fuse_transformer(traced, out / FP32_FILE, meta)
    if not meta["fused"]:
        os.replace(traced, out / FP32_FILE)
    traced.unlink(missing_ok=True)
    _quantize(out / FP32_FILE, out / INT8_FILE)
    for name in (FP32_FILE, INT8_FILE):
        _optimize(out / name, out / name.replace(".onnx", OPTIMIZED_SUFFIX))
    shutil.copyfile(source / TOKENIZER_FILE, out / TOKENIZER_FILE)
    meta.update(model=model, format=EXPORT_FORMAT)
    (out / META_FILE).write_text(json.dumps(meta, indent=2))  # written last: its presence means complete


def export_sentence_transformer(source: Path, target: Path) -> dict[str, Any]:
    """torch.onnx.export of transformer + mean pooling + L2 normalisation; torch is imported only here."""
    import warnings

    import torch
    from sentence_transformers import SentenceTransformer

    quiet_model_loading()
    # Eager attention traces to the plain softmax(QK^T)V pattern that onnxruntime fuses (see
    # fuse_transformer); the default SDPA path traces to a graph it cannot fuse.
    # Any: its modules are typed as torch.nn.Module, which hides their own methods (get_config_dict,
    # auto_model) from the type checker.
    st: Any = SentenceTransformer(str(source), device="cpu", model_kwargs={"attn_implementation": "eager"})
    pooling = st[1].get_config_dict() if len(st) > 1 else {}
    mode = pooling.get("pooling_mode", "mean" if pooling.get("pooling_mode_mean_tokens") else None)
    if mode != "mean":
        raise ModelError(str(source), "only mean-pooling models can be exported to ONNX")

    class Pooled(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    wrapped = Pooled(st[0].auto_model.eval())
    example = torch.ones((2, 8), dtype=torch.long)
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about data-dependent shapes, which are dynamic here
        torch.onnx.export(
            wrapped,
            (example, example, torch.zeros_like(example)),
            str(target),
            dynamo=False,
            input_names=list(INPUT_NAMES),
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=17,
        )
    config = st[0].auto_model.config
    return {
        "architecture": str(getattr(config, "model_type", "")),
        "heads": int(getattr(config, "num_attention_heads", 0)),
        "hidden_size": int(getattr(config, "hidden_size", 0)),
        "dimension": int(st.get_embedding_dimension()),
        "max_seq_length": int(st.max_seq_length),
        "pad_id": int(st.tokenizer.pad_token_id or 0),
        "source": str(source),
    }


# Encoders onnxruntime's transformer optimizer fuses as "bert" (same layer layout).
FUSABLE_ARCHITECTURES = ("bert", "roberta", "xlm-roberta", "camembert", "electra")


def fuse_transformer(traced: Path, target: Path, meta: dict[str, Any]) -> bool:
    """Rewrite a BERT-like graph with onnxruntime's fused Attention, SkipLayerNorm and BiasGelu
    kernels; False (and nothing written) when the architecture isn't one it fuses.

    On 2 AVX2 cores int8 (whose fused attention then takes int8 weights too) indexes 8 % more texts/s
    with the same dev-bench recall as fp32. One fp32 query took 6.2 instead of 8.6 ms in a probe, but
    `qabot bench`'s floor did not move beyond its noise."""
    if meta["architecture"] not in FUSABLE_ARCHITECTURES or not meta["heads"]:
        return False
    from onnxruntime.transformers.optimizer import optimize_model

    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)  # it narrates each fusion
    optimized = optimize_model(
        str(traced), model_type="bert", num_heads=meta["heads"], hidden_size=meta["hidden_size"]
    )
    if not optimized.get_fused_operator_statistics().get("Attention"):
        log.info("onnxruntime could not fuse %s's attention; keeping the traced graph", meta["source"])
        return False
    optimized.save_model_to_file(str(target))
    return True


def _optimize(source: Path, target: Path) -> None:
    """Save the graph after onnxruntime's extended (processor-independent) optimisations."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(target)
    options.log_severity_level = 3
    onnxruntime.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])


def _quantize(fp32: Path, int8: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().disabled, was = True, logging.getLogger().disabled  # it warns on the root logger
    try:
        # Per-channel weights and only weight MatMuls (not attention's activation x activation ones):
        # mean cosine to fp32 0.99 instead of 0.956 with the defaults, and faster. The first encoder
        # layer stays fp32: its input, the raw embeddings, quantizes worst (mean cosine 0.9915 -> 0.9941;
        # dev-bench recall@1/@5 0.846/0.965 -> 0.860/0.972, equal to fp32, for 9 % of int8's speed).
        quantize_dynamic(
            str(fp32),
            str(int8),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=first_layer_nodes(fp32),
            # DefaultTensorType: shape inference can't type the outputs of the fused contrib ops
            extra_options={"MatMulConstBOnly": True, "DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        logging.getLogger().disabled = was


def first_layer_nodes(model_path: Path) -> list[str]:
    """The quantizable nodes of the first transformer layer: MatMuls torch.onnx.export named
    ".../layer.0/..." and, in a fused graph, the first Attention node. Empty for an architecture
    named otherwise, which is then quantized whole."""
    import onnx

    graph = onnx.load(str(model_path), load_external_data=False).graph
    pattern = re.compile(r"/layers?\.0/")
    matmuls = [node.name for node in graph.node if node.op_type == "MatMul" and pattern.search(node.name)]
    attention = [node.name for node in graph.node if node.op_type == "Attention"][:1]
    return attention + matmuls if matmuls else []


# -- the embedder ------------------------------------------------------------------------------------
class OnnxEmbedder:
    """all-MiniLM-style sentence embedding on onnxruntime; `backend` is "onnx" or "onnx-int8"."""

    def __init__(
        self, model_name: str, directory: Path, *, quantized: bool, threads: int | None = None
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        meta = json.loads((directory / META_FILE).read_text())
        self.model_name = model_name
        self.backend = "onnx-int8" if quantized else "onnx"
        self.dimension = int(meta["dimension"])
        self.max_tokens = int(meta["max_seq_length"])
        self.directory = directory
        name = INT8_FILE if quantized else FP32_FILE
        optimized = directory / name.replace(".onnx", OPTIMIZED_SUFFIX)
        self._optimized = optimized.is_file()
        self._path = str(optimized if self._optimized else directory / name)
        self._ort = onnxruntime
        self._batch_size = INT8_BATCH if quantized else FP32_BATCH
        self._workers = threads or cpu_cores()
        self._sessions = [self._session()]  # one per worker, the others made on the first big call
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._inputs = {i.name for i in self._sessions[0].get_inputs()}
        # Two tokenizers: counting must see the whole text, encoding truncates like sentence-transformers.
        self._counter = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        self._counter.no_padding()
        self._counter.no_truncation()
        self._tokenizer = Tokenizer.from_str(self._counter.to_str())
        self._tokenizer.enable_truncation(self.max_tokens)
        self._pad_id = int(meta.get("pad_id", 0))

    def _session(self) -> Any:  # an onnxruntime.InferenceSession (onnxruntime has no type hints)
        options = self._ort.SessionOptions()
        options.intra_op_num_threads = 1  # parallelism comes from one session per worker (see FP32_BATCH)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        if self._optimized:
            options.graph_optimization_level = self._ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        return self._ort.InferenceSession(self._path, options, providers=["CPUExecutionProvider"])

    def _worker_pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._sessions += [self._session() for _ in range(self._workers - 1)]
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="onnx-encode")
            return self._pool

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimension) float32, unit rows. Texts are sorted by length so batches pad little,
        and the batches are spread over the workers' sessions (onnxruntime releases the GIL)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        batches = [order[i : i + self._batch_size] for i in range(0, len(order), self._batch_size)]
        out = np.empty((len(texts), self.dimension), dtype=np.float32)

        def run(number: int) -> None:
            rows = batches[number]
            session = self._sessions[number % len(self._sessions)]
            out[rows] = session.run(None, self._feeds([encodings[r] for r in rows]))[0]

        if len(batches) == 1 or self._workers == 1:
            for number in range(len(batches)):
                run(number)
        else:
            list(self._worker_pool().map(run, range(len(batches))))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        unit: np.ndarray = out / np.maximum(norms, 1e-12)
        return unit

    def _feeds(self, encodings: list[Any]) -> dict[str, np.ndarray]:
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return {name: value for name, value in feeds.items() if name in self._inputs}

    def count_tokens(self, text: str) -> int:
        """Word pieces the model will read, without [CLS]/[SEP] (the chunker reserves those)."""
        return len(self._counter.encode(text, add_special_tokens=False).ids)


def create_onnx_embedder(
    model: str, cache_dir: Path, *, quantized: bool = False, threads: int | None = None
) -> OnnxEmbedder:
    """Load `model` from the ONNX cache (exporting it first if needed); int8 when `quantized`."""
    directory = exported_model_dir(model, Path(cache_dir))
    try:
        return OnnxEmbedder(model, directory, quantized=quantized, threads=threads)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise ModelError(model, f"cached ONNX model in {directory} is unusable: {error}") from None
