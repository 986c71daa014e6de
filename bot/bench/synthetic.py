"""Deterministic synthetic data for the benchmark: clustered unit vectors and a large knowledge base."""

from __future__ import annotations

from pathlib import Path

import numpy as np

TOPICS = (
    "tensor",
    "gradient",
    "optimizer",
    "checkpoint",
    "dataset",
    "tokenizer",
    "embedding",
    "attention",
    "layer",
    "batch",
    "kernel",
    "device",
    "memory",
    "precision",
    "compiler",
    "graph",
    "export",
    "shard",
    "loss",
    "metric",
    "scheduler",
    "dropout",
    "activation",
    "convolution",
    "transformer",
    "pipeline",
)
WORDS = (
    "the",
    "a",
    "model",
    "training",
    "when",
    "you",
    "set",
    "use",
    "with",
    "on",
    "GPU",
    "CPU",
    "faster",
    "slower",
    "each",
    "step",
    "returns",
    "value",
    "shape",
    "flag",
    "config",
    "call",
    "function",
    "run",
    "after",
    "before",
    "error",
    "warning",
    "version",
    "install",
    "import",
    "save",
    "load",
    "update",
    "per",
    "mixed",
    "sparse",
    "dense",
    "learning",
    "rate",
    "weights",
    "bias",
    "input",
    "output",
    "size",
)


def clustered_vectors(
    count: int, dimension: int = 384, clusters: int | None = None, seed: int = 0
) -> np.ndarray:
    """Unit vectors around `clusters` random centres (cosine to their centre ~0.7), like topic embeddings."""
    rng = np.random.default_rng(seed)
    clusters = clusters or max(8, int(np.sqrt(count)))
    centres = rng.standard_normal((clusters, dimension), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((count, dimension), dtype=np.float32)
    for start in range(0, count, 100_000):  # in blocks: the noise of 1M rows at once would double memory
        rows = min(100_000, count - start)
        noise = rng.standard_normal((rows, dimension), dtype=np.float32) / np.sqrt(dimension)
        block = centres[rng.integers(0, clusters, rows)] + noise
        out[start : start + rows] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def _sentence(rng: np.random.Generator, topic: str, length: int) -> str:
    words = [str(w) for w in rng.choice(WORDS, size=length)]
    words[rng.integers(0, length)] = topic
    return " ".join(words).capitalize() + "."


def article_text(number: int, sections: int, revision: int = 0) -> str:
    rng = np.random.default_rng(number * 1_000 + revision)
    topic = TOPICS[number % len(TOPICS)]
    lines = ["---", f"title: Synthetic note {number} about {topic}s", "---", ""]
    for section in range(sections):
        lines.append(f"## {topic.capitalize()} question {section}")
        lines.append("")
        lines.append(" ".join(_sentence(rng, topic, int(rng.integers(8, 16))) for _ in range(3)))
        lines.append("")
    return "\n".join(lines)


def write_knowledge_base(directory: Path, passages: int, sections_per_article: int = 20) -> int:
    """Write articles of one-paragraph sections (one passage each) until `passages`; returns the count."""
    directory.mkdir(parents=True, exist_ok=True)
    articles = max(1, passages // sections_per_article)
    for number in range(articles):
        (directory / f"note-{number:05d}.md").write_text(article_text(number, sections_per_article))
    return articles


def edit_one_article(directory: Path, number: int = 0, sections_per_article: int = 20) -> Path:
    """Rewrite one article's text (as a moderator's edit would); the rest stay byte-identical."""
    path = directory / f"note-{number:05d}.md"
    path.write_text(article_text(number, sections_per_article, revision=1))
    return path
