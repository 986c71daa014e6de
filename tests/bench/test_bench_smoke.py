"""The benchmark runs end to end in quick mode with tiny sizes and reports every section."""

from __future__ import annotations

import json

import pytest

from bot.bench import main
from bot.bench.run import SECTIONS

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_quick_bench_reports_every_section_as_json(tmp_path, capsys):
    status = main(
        [
            "--quick",
            "--json",
            "--questions",
            "6",
            "--kb-passages",
            "40",
            "--ann-sizes",
            "3000",
            "--backends",
            "onnx-int8",
            "--cache-dir",
            str(tmp_path / "models"),
            "--work-dir",
            str(tmp_path / "work"),
        ]
    )
    assert status == 0
    results = json.loads(capsys.readouterr().out)
    for section in ("machine", "targets", "batching", "startup", "incremental", "ann", "backends"):
        assert section in results, section
    assert set(SECTIONS) <= set(results)
    figures = results["backends"]["onnx-int8"]
    assert figures["latency"]["floor"]["p50_ms"] > 0
    assert figures["latency"]["answer"]["p99_ms"] >= figures["latency"]["answer"]["p50_ms"]
    assert 0 <= figures["quality"]["recall@5"] <= 1
    assert figures["indexing"]["passages_per_s"] > 0
    assert (
        results["incremental"]["incremental"]["views_embedded"]
        < results["incremental"]["full_rebuild"]["views_embedded"]
    )
    assert results["ann"][0]["recall@10"] >= 0.95
    assert "start_to_answer" in results["startup"]["onnx-int8"] or "error" in results["startup"]["onnx-int8"]


def test_unknown_section_is_an_error():
    with pytest.raises(SystemExit):
        main(["--sections", "nope"])
