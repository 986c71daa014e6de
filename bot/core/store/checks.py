"""Checks that a generation's files are the ones written and that its manifest agrees with them.

Checksums prove the data files are the ones that were written, but the manifest itself is not
checksummed: a hand-edited or half-restored manifest (a lowered `passage_count`, `"files": null`) would
load and then fail on some later question with an IndexError. These checks run once per load and
return the first problem in words (None when all is well); the reader turns it into IndexCorrupt.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.core.files import file_sha256
from bot.core.store.layout import RERANK_FILE, data_files
from bot.errors import IndexCorrupt

if TYPE_CHECKING:
    from bot.core.store.manifest import Manifest

_INT = "an integer"
_TEXT = "text"
_OPTIONAL_TEXT = "text or null"
MANIFEST_FIELDS: dict[str, str] = {
    "model": _TEXT,
    "backend": _TEXT,
    "dimension": _INT,
    "index_type": _TEXT,
    "max_tokens": _INT,
    "passage_count": _INT,
    "view_count": _INT,
    "sentence_count": _INT,
    "articles": "an object",
    "files": "an object",
    "generation": _TEXT,
    "built_at": "a number",
    "format_version": _INT,
    "rerank_model": _OPTIONAL_TEXT,
}
ARTICLE_FIELDS: dict[str, str] = {"content_hash": _TEXT, "title": _TEXT, "passages": _INT}


def _is(value: object, kind: str) -> bool:
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if kind == _TEXT:
        return isinstance(value, str)
    if kind == _OPTIONAL_TEXT:
        return value is None or isinstance(value, str)
    if kind == "a number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, dict)


def manifest_problem(data: object) -> str | None:
    """What is wrong with a parsed manifest.json's shape (missing fields and extra ones included)."""
    if not isinstance(data, dict):
        return "it is not a JSON object"
    for name, kind in MANIFEST_FIELDS.items():
        if name in data and not _is(data[name], kind):
            return f'"{name}" should be {kind}' + (" (not negative)" if kind == _INT else "")
    for path, entry in (data.get("articles") or {}).items():
        if not isinstance(entry, dict) or set(entry) != set(ARTICLE_FIELDS):
            return f'"articles" entry {path!r} is malformed'
        if not all(_is(entry[name], kind) for name, kind in ARTICLE_FIELDS.items()):
            return f'"articles" entry {path!r} has a value of the wrong type'
    if not all(isinstance(v, str) for v in (data.get("files") or {}).values()):
        return '"files" should map file names to checksums'
    return None


def verify_files(directory: Path, manifest: Manifest) -> None:
    """Raise IndexCorrupt unless every data file is present with the checksum the manifest records."""
    for name in data_files(manifest.rerank_model):
        path = directory / name
        if not path.is_file():
            raise IndexCorrupt(directory.parent, f"{name} is missing")
        if file_sha256(path) != manifest.files.get(name):
            raise IndexCorrupt(directory.parent, f"{name} is truncated or damaged (checksum mismatch)")


def data_problem(
    manifest: Manifest,
    *,
    embeddings: np.ndarray,
    view_passage: np.ndarray,
    sentence_vectors: np.ndarray,
    rerank_vectors: np.ndarray | None,
    lexical_passages: int,
    lexical_max_row: int,
    table_counts: Mapping[str, int],
) -> str | None:
    """The first disagreement between the manifest's counts and the arrays and tables on disk."""
    passages, views, sentences = manifest.passage_count, manifest.view_count, manifest.sentence_count
    dimension = manifest.dimension
    expected = {
        "embeddings.npy shape": (embeddings.shape, (views, dimension)),
        "sentences.npy shape": (sentence_vectors.shape, (sentences, dimension)),
        "views.npy length": (view_passage.shape, (views,)),
        "passages table rows": (table_counts["passages"], passages),
        "views table rows": (table_counts["views"], views),
        "sentences table rows": (table_counts["sentences"], sentences),
        "lexical.npz passages": (lexical_passages, passages),
        "articles' passage total": (
            sum(entry.passages for entry in manifest.articles.values()),
            passages,
        ),
    }
    for what, (found, wanted) in expected.items():
        if found != wanted:
            return f"{what} is {found}, the manifest says {wanted}"
    if rerank_vectors is not None and (rerank_vectors.ndim != 2 or len(rerank_vectors) != passages):
        return f"{RERANK_FILE} shape is {rerank_vectors.shape}, the manifest says {passages} passages"
    if lexical_max_row >= passages:
        return f"lexical.npz refers to passage {lexical_max_row} of {passages}"
    return _views_problem(view_passage, passages)


def _views_problem(view_passage: np.ndarray, passages: int) -> str | None:
    """Every passage owns one contiguous, non-empty run of views, in passage order."""
    if not np.issubdtype(view_passage.dtype, np.integer):
        return "views.npy does not hold passage numbers"
    if len(view_passage) == 0:
        return None if passages == 0 else "views.npy is empty"
    steps = np.diff(view_passage)
    if view_passage[0] != 0 or view_passage[-1] != passages - 1 or not np.isin(steps, (0, 1)).all():
        return f"views.npy does not cover passages 0..{passages - 1} in order"
    return None
