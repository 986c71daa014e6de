"""Process start to printed answer for `python -m bot ask` on an existing index, with its peak RSS."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bot.bench.stats import summary

TIMEOUT_S = 120


# Linux carries the parent's peak RSS into a forked child's ru_maxrss, so the command is started by this
# small wrapper, whose own peak is a few MB; it writes its child's peak (kB) and wall time (s, from just
# before the start to the exit, so the wrapper's own start-up isn't counted) to the file named first.
WRAPPER = (
    "import os, subprocess, sys, time; t = time.perf_counter(); p = subprocess.Popen(sys.argv[2:]); "
    "_, s, u = os.wait4(p.pid, 0); t = time.perf_counter() - t; "
    "open(sys.argv[1], 'w').write(f'{u.ru_maxrss} {t}'); sys.exit(os.waitstatus_to_exitcode(s))"
)


def measure_child(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int, int, str]:
    """Wall seconds from start to exit, peak RSS (bytes), exit status and the start of the output."""
    peak_file = cwd / "peak-rss-kb"
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", WRAPPER, str(peak_file), *command],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - started, 0, -1, f"timed out after {TIMEOUT_S} s"
    elapsed, peak = time.perf_counter() - started, 0
    if peak_file.exists():
        kilobytes, seconds = peak_file.read_text().split()
        elapsed, peak = float(seconds), int(kilobytes) * 1024
    return elapsed, peak, done.returncode, (done.stdout + done.stderr).decode(errors="replace")[:500]


def bench_startup(
    backend: str, index_dir: Path, knowledge_dir: Path, cache_dir: Path, question: str, runs: int, work: Path
) -> dict:
    """`python -m bot ask QUESTION --index DIR --knowledge DIR`, `runs` times, after one untimed run."""
    cwd = work / f"cwd-{backend}"
    (cwd / "index").mkdir(parents=True, exist_ok=True)
    link = cwd / "index" / "models"  # the default model cache, in case the setting isn't read
    if not link.exists():
        link.symlink_to(cache_dir.resolve(), target_is_directory=True)
    env = {
        **os.environ,
        "QABOT_BACKEND": backend,
        "QABOT_MODEL_CACHE_DIR": str(cache_dir.resolve()),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")]
        ),
    }
    command = [
        sys.executable,
        "-m",
        "bot",
        "ask",
        question,
        "--index",
        str(index_dir.resolve()),
        "--knowledge",
        str(knowledge_dir.resolve()),
    ]
    measure_child(command, env, cwd)  # warms the page cache, as on a machine that has run the bot before
    times, peaks, output, status = [], [], "", 0
    for _ in range(runs):
        elapsed, peak, status, output = measure_child(command, env, cwd)
        if status != 0:
            break
        times.append(elapsed)
        peaks.append(peak)
    if status != 0 or not times:
        return {"backend": backend, "error": f"exit status {status}", "output": output}
    return {
        "backend": backend,
        "runs": len(times),
        "start_to_answer": summary(times),
        "peak_rss_mb": round(max(peaks) / 2**20, 1),
        "answer_head": output.splitlines()[0][:120] if output else "",
    }
