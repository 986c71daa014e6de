"""Median per-question time of a warm `qabot ask -` over 100 questions on the shipped knowledge base.

Feeds 100 questions (10 templates x 10 subjects) to one `qabot ask - --json` process and reads the
answers back one at a time, timing each from the moment its line is written until its answer is read;
model loading is excluded because timing starts after a first, untimed question.
Usage: .venv/bin/python scripts/warm_ask_latency.py [--index DIR]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

SUBJECTS = [
    "PyTorch",
    "TensorFlow",
    "Keras",
    "JAX",
    "Hugging Face Transformers",
    "scikit-learn",
    "ChatGPT",
    "ONNX Runtime",
    "TensorBoard",
    "CUDA",
]
TEMPLATES = [
    "What is {}?",
    "Who develops {}?",
    "How do I install {}?",
    "Does {} support GPUs?",
    "What is {} used for?",
    "How do I save a model in {}?",
    "Is {} good for beginners?",
    "How do I debug {}?",
    "What are the alternatives to {}?",
    "How does {} work?",
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", default=None)
    args = parser.parse_args()
    command = [sys.executable, "-m", "bot", "ask", "-", "--json"] + (
        ["--index", args.index] if args.index else []
    )
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    assert process.stdin and process.stdout
    process.stdin.write("What is PyTorch?\n")  # loads the model and index: not timed
    process.stdout.readline()
    timings = []
    for template in TEMPLATES:
        for subject in SUBJECTS:
            started = time.perf_counter()
            process.stdin.write(template.format(subject) + "\n")
            process.stdout.readline()
            timings.append((time.perf_counter() - started) * 1000)
    process.stdin.close()
    process.wait(30)
    ordered = sorted(timings)
    print(
        f"{len(timings)} questions: median {statistics.median(ordered):.1f} ms, "
        f"p90 {ordered[int(0.9 * len(ordered))]:.1f} ms, max {ordered[-1]:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
