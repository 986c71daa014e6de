"""The benchmark's entry point: parse options, run the sections, print the report (see bot.bench)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bot.bench.stats import machine, ratio
from bot.errors import KnowledgeError, QABotError

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DEV_BENCH = REPO.parent / "shared" / "bench" / "python-faq"
SECTIONS = ("backends", "batching", "startup", "incremental", "ann", "collections")
BACKENDS = ("torch", "onnx", "onnx-int8")
TARGETS = {
    "answer_over_floor": 1.5,
    "startup_s": 1.0,
    "indexing_speedup": 2.5,
    "recall@5_drop": 0.01,
    "ann_1m_p50_ms": 5.0,
    "ann_recall@10": 0.95,
    "answers_per_s": 200.0,
    "collections_cold_p99_s": 1.0,
    "collections_warm_over_base": 1.5,  # a server's warm answer against the base alone (p50)
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for smoke tests")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma list of {SECTIONS}")
    parser.add_argument("--backends", default=",".join(BACKENDS), help=f"comma list of {BACKENDS}")
    parser.add_argument("--dev-bench", type=Path, default=DEFAULT_DEV_BENCH, help="the python-faq directory")
    parser.add_argument("--questions", type=int, default=None, help="use only the first N dev questions")
    parser.add_argument("--kb-passages", type=int, default=None, help="synthetic KB size (default 10000)")
    parser.add_argument(
        "--ann-sizes", default=None, help="comma list of vector counts (default 100000,1000000)"
    )
    parser.add_argument(
        "--servers", type=int, default=None, help="server collections for `collections` (default 1000)"
    )
    parser.add_argument(
        "--collections-budget-mb", type=int, default=256, help="memory budget of the server collections"
    )
    parser.add_argument("--startup-runs", type=int, default=None, help="timed `bot ask` runs per backend")
    parser.add_argument("--cache-dir", type=Path, default=Path("index/models"), help="ONNX model cache")
    parser.add_argument("--work-dir", type=Path, default=None, help="keep indexes here (default: a temp dir)")
    args = parser.parse_args(argv)
    args.sections = [s for s in args.sections.split(",") if s]
    args.backends = [b for b in args.backends.split(",") if b]
    for name in args.sections:
        if name not in SECTIONS:
            parser.error(f"unknown section {name!r}")
    for name in args.backends:
        if name not in BACKENDS:
            parser.error(f"unknown backend {name!r}")
    quick = args.quick
    args.questions = args.questions or (30 if quick else None)
    args.kb_passages = args.kb_passages or (300 if quick else 10_000)
    args.ann_sizes = [
        int(n) for n in (args.ann_sizes or ("20000" if quick else "100000,1000000")).split(",") if n
    ]
    args.startup_runs = args.startup_runs or (1 if quick else 3)
    args.servers = args.servers or (20 if quick else 1000)
    return args


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, work: Path) -> dict:
    from bot.bench.quality import DevBench, bench_backend, micro_batching
    from bot.core.ann import single_threaded_search

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    single_threaded_search()  # as the answer path runs: one question, one FAISS thread
    results: dict = {"machine": machine(), "options": {k: str(v) for k, v in vars(args).items()}}
    kbs = {}
    if {"backends", "batching", "startup"} & set(args.sections):  # the sections that need the dev bench
        if not (args.dev_bench / "questions.jsonl").is_file():
            raise KnowledgeError(
                f"no dev bench at {args.dev_bench}: pass --dev-bench DIR (see python-faq's README)"
            )
        bench = DevBench.load(args.dev_bench, args.questions)
        questions = [q.question for q in bench.questions]
        results["backends"], results["batching"] = {}, {}
        for backend in args.backends:
            say(f"backend {backend}: indexing the dev bench, quality, latency")
            figures, kb = bench_backend(backend, bench, work, args.cache_dir)
            results["backends"][backend] = figures
            if "batching" in args.sections:
                results["batching"][backend] = micro_batching(kb, questions)
            kbs[backend] = kb
    if "startup" in args.sections:
        from bot.bench.startup import bench_startup

        results["startup"] = {}
        for backend in args.backends:
            say(f"startup {backend}: `python -m bot ask` x{args.startup_runs}")
            results["startup"][backend] = bench_startup(
                backend,
                kbs[backend].index_dir,
                bench.corpus,
                args.cache_dir,
                questions[0],
                args.startup_runs,
                work,
            )
    if "incremental" in args.sections:
        results["incremental"] = _incremental(args, work, kbs)
    if "ann" in args.sections:
        results["ann"] = _ann(args)
    if "collections" in args.sections:
        results["collections"] = _collections(args, work)
    results["targets"] = check_targets(results)
    return results


def _ann(args: argparse.Namespace) -> list[dict]:
    from bot.bench.ann_bench import bench_ann

    figures = []
    for size in args.ann_sizes:
        say(f"ann: {size} vectors")
        figures.append(bench_ann(size))
    return figures


def _collections(args: argparse.Namespace, work: Path) -> dict:
    from bot.bench.collections_bench import bench_collections
    from bot.bench.quality import MODEL
    from bot.core.service import KnowledgeBase
    from bot.settings import CoreSettings
    from bot.wiring import open_embedder

    settings = CoreSettings(
        model=MODEL, backend="auto", model_cache_dir=args.cache_dir, index_dir=work / "no-index"
    )
    embedder = open_embedder(settings)
    say(f"collections: the shipped base and {args.servers} servers x 20 articles with {embedder.backend}")
    base = KnowledgeBase(REPO / "knowledge", work / "base-index", embedder, threshold=settings.threshold)
    base.load()
    return bench_collections(base, work / "servers", args.servers, args.collections_budget_mb)


def _incremental(args: argparse.Namespace, work: Path, kbs: dict) -> dict:
    from bot.bench.incremental import bench_incremental
    from bot.bench.quality import MODEL
    from bot.settings import CoreSettings
    from bot.wiring import open_embedder

    # A scratch index directory, so that "auto" is decided by the processor, not by an index lying around.
    settings = CoreSettings(
        model=MODEL, backend="auto", model_cache_dir=args.cache_dir, index_dir=work / "no-index"
    )
    embedder = open_embedder(settings)
    say(f"incremental: {args.kb_passages} synthetic passages with {embedder.backend}")
    return bench_incremental(embedder, work, args.kb_passages)


def check_targets(results: dict) -> dict:
    """Issue 4's targets against the figures measured; absent sections are left out."""
    checks: dict[str, dict] = {}
    backends = results.get("backends", {})
    for name, figures in backends.items():
        value = figures["latency"]["answer_over_floor_p50"]
        checks[f"answer_over_floor[{name}]"] = _check(value, TARGETS["answer_over_floor"], "<=")
    if "torch" in backends:
        torch = backends["torch"]
        for name in ("onnx", "onnx-int8"):
            if name in backends:
                speedup = ratio(
                    backends[name]["indexing"]["passages_per_s"], torch["indexing"]["passages_per_s"]
                )
                checks[f"indexing_speedup[{name}]"] = _check(speedup, TARGETS["indexing_speedup"], ">=")
                drop = round(torch["quality"]["recall@5"] - backends[name]["quality"]["recall@5"], 4)
                checks[f"recall@5_drop[{name}]"] = _check(drop, TARGETS["recall@5_drop"], "<=")
    for name, figures in results.get("startup", {}).items():
        if "start_to_answer" in figures:
            seconds = figures["start_to_answer"]["p50_ms"] / 1e3
            checks[f"startup_s[{name}]"] = _check(round(seconds, 3), TARGETS["startup_s"], "<")
    for name, figures in results.get("batching", {}).items():
        best = max(figures["answers_per_s"].values())
        checks[f"answers_per_s[{name}]"] = _check(best, TARGETS["answers_per_s"], ">=")
    for figures in results.get("ann", []):
        size = figures["vectors"]
        checks[f"ann_recall@10[{size}]"] = _check(figures["recall@10"], TARGETS["ann_recall@10"], ">=")
        if size >= 1_000_000:
            checks[f"ann_p50_ms[{size}]"] = _check(
                figures["search"]["p50_ms"], TARGETS["ann_1m_p50_ms"], "<="
            )
    checks.update(_collection_checks(results.get("collections")))
    return checks


def _collection_checks(f: dict | None) -> dict:
    """Issue 12's targets: cold first answer under 1 s, warm answers unchanged, memory in the budget."""
    if f is None:
        return {}
    warm = ratio(f["warm_server_base_question"]["p50_ms"], f["warm_base_only"]["p50_ms"])
    return {
        "collections_cold_p99_s": _check(
            round(f["cold_first_answer"]["p99_ms"] / 1e3, 3), TARGETS["collections_cold_p99_s"], "<"
        ),
        "collections_warm_over_base": _check(warm, TARGETS["collections_warm_over_base"], "<="),
        "collections_loaded_mb": _check(f["loaded_estimate_mb"], f["budget_mb"], "<="),
    }


def _check(value: float, target: float, relation: str) -> dict:
    passed = {"<=": value <= target, "<": value < target, ">=": value >= target}[relation]
    return {"value": value, "target": f"{relation} {target}", "met": bool(passed)}


def render(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"machine: {m['cpu']}, {m['cores']} cores, flags {' '.join(m['flags'])}, load {m['load_average']}"
    ]
    for name, f in results.get("backends", {}).items():
        lat, q, ix = f["latency"], f["quality"], f["indexing"]
        lines.append(
            f"{name:10} floor p50 {lat['floor']['p50_ms']:.2f} ms p99 {lat['floor']['p99_ms']:.2f} | answer p50 "
            f"{lat['answer']['p50_ms']:.2f} ms p99 {lat['answer']['p99_ms']:.2f} | x{lat['answer_over_floor_p50']}"
            f" | index {ix['passages_per_s']} passages/s | R@1 {q['recall@1']} R@5 {q['recall@5']}"
            f" MRR@10 {q['mrr@10']} | model load {f['model_load_s']} s"
        )
    for name, f in results.get("batching", {}).items():
        lines.append(f"{name:10} 200 questions together, answers/s by batch size: {f['answers_per_s']}")
    for name, f in results.get("startup", {}).items():
        if "error" in f:
            lines.append(f"{name:10} `bot ask` failed: {f['error']}: {f['output'][:200]!r}")
        else:
            s = f["start_to_answer"]
            lines.append(
                f"{name:10} `bot ask` start to answer p50 {s['p50_ms'] / 1e3:.2f} s "
                f"(n={s['n']}), peak RSS {f['peak_rss_mb']} MB"
            )
    if "incremental" in results:
        f = results["incremental"]
        lines.append(
            f"incremental ({f['backend']}, {f['passages']} passages): full rebuild {f['full_rebuild']['seconds']} s"
            f" ({f['full_rebuild']['views_embedded']} views), one article edited {f['incremental']['seconds']} s "
            f"({f['incremental']['views_embedded']} views embedded) -> x{f['full_over_incremental']}"
        )
    for f in results.get("ann", []):
        lines.append(
            f"ann {f['vectors']:>9,}: {f['index_type']} {f['params']} build {f['build_s']} s, {f['index_mb']} MB "
            f"(flat {f['flat_mb']} MB), p50 {f['search']['p50_ms']} ms p99 {f['search']['p99_ms']} ms, "
            f"recall@10 {f['recall@10']} | exact p50 {f['exact_search']['p50_ms']} ms"
        )
    if "collections" in results:
        from bot.bench.collections_bench import render_collections

        lines.append(render_collections(results["collections"]))
    for name, check in results.get("targets", {}).items():
        lines.append(
            f"target {name}: {check['value']} {check['target']} {'met' if check['met'] else 'NOT MET'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="qabot-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        results = run(args, work)
    except QABotError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(results, indent=2) if args.json else render(results))
    return 0
