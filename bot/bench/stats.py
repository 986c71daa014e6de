"""Timing summaries and a description of the machine, for the benchmark's report."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata

import numpy as np

from bot.core.files import cpu_cores
from bot.core.onnx_embedding import cpu_features

RELEVANT_FLAGS = ("avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8", "asimddp")


def summary(seconds: list[float]) -> dict[str, float]:
    """Median, p99 and mean of a list of durations, in milliseconds."""
    values = np.asarray(seconds, dtype=np.float64) * 1e3
    return {
        "n": len(values),
        "p50_ms": round(float(np.median(values)), 3),
        "p99_ms": round(float(np.percentile(values, 99)), 3),
        "mean_ms": round(float(values.mean()), 3),
    }


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 2) if denominator else float("nan")


def machine() -> dict[str, object]:
    model = platform.processor() or platform.machine()
    flags: list[str] = []
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout.splitlines()
        fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        model = fields.get("Model name", model)
        flags = [f for f in RELEVANT_FLAGS if f in fields.get("Flags", "").split()]
    except (OSError, subprocess.SubprocessError):
        pass
    versions = {}
    for package in ("onnxruntime", "faiss-cpu", "torch", "sentence-transformers", "tokenizers", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": model,
        "cores": cpu_cores(),
        "flags": flags,
        "int8_kernels": cpu_features().describe(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "versions": versions,
    }
