"""The benchmark runs end to end in quick mode with tiny sizes and reports every section."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.bench import main
from bot.bench.run import SECTIONS

pytestmark = [pytest.mark.model, pytest.mark.slow]


def tiny_dev_bench(root: Path) -> Path:
    """A dev bench in the python-faq format, small enough for a smoke test and independent of ../shared."""
    facts = {
        "d1.md": "The quokka optimiser halves the learning rate whenever the loss stops falling.",
        "d2.md": "Checkpoints are written every hour to the directory named in the config file.",
        "d3.md": "Mixed precision keeps a float32 master copy of the weights to avoid underflow.",
        "d4.md": "The tokenizer lower-cases text and splits it into word pieces before lookup.",
    }
    questions = [
        ("How does the quokka optimiser change the learning rate?", "d1.md"),
        ("How often are checkpoints saved?", "d2.md"),
        ("Why keep a float32 copy of the weights?", "d3.md"),
        ("What does the tokenizer do to text?", "d4.md"),
        ("Where are checkpoints written?", "d2.md"),
        ("When is the learning rate halved?", "d1.md"),
    ]
    (root / "corpus").mkdir(parents=True)
    for name, text in facts.items():
        (root / "corpus" / name).write_text(f"# note {name}\n\n{text}\n")
    lines = [json.dumps({"id": str(i), "question": q, "gold": g}) for i, (q, g) in enumerate(questions)]
    (root / "questions.jsonl").write_text("\n".join(lines) + "\n")
    (root / "unanswerable.jsonl").write_text(
        json.dumps({"id": "u", "question": "What is the capital of Peru?"}) + "\n"
    )
    return root


def test_quick_bench_reports_every_section_as_json(tmp_path, capsys):
    status = main(
        [
            "--dev-bench",
            str(tiny_dev_bench(tmp_path / "dev")),
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
    assert results["startup"]["onnx-int8"]["start_to_answer"]["p50_ms"] > 0
    assert results["collections"]["cold_first_answer"]["n"] == results["collections"]["servers"] == 20


def test_unknown_section_is_an_error():
    with pytest.raises(SystemExit):
        main(["--sections", "nope"])
