"""Writing a generation: every file into a hidden staging directory, fsynced, renamed into place, and
only then named in CURRENT, so a crash at any point leaves the previous generation loadable."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from bot.core.chunking import Passage
from bot.core.files import file_sha256, fsync_path, write_atomically
from bot.core.lexical import LexicalIndex
from bot.core.store.layout import (
    CURRENT_FILE,
    EMBEDDINGS_FILE,
    FAISS_FILE,
    GENERATION_PREFIX,
    LEXICAL_FILE,
    MANIFEST_FILE,
    PASSAGES_FILE,
    RERANK_FILE,
    SENTENCES_FILE,
    STAGING_PREFIX,
    VIEWS_FILE,
    data_files,
)
from bot.core.store.lexical_file import save_lexical
from bot.core.store.manifest import Manifest, stamped
from bot.core.store.passages_table import write_passages
from bot.core.store.pruning import prune_generations
from bot.core.store.reader import current_generation, refuse_current_folder
from bot.errors import IndexError_, IndexWriteFailed


@dataclass(frozen=True)
class EmbeddedViews:
    """Every embedded view of every passage (vectors, owning passage rows, text hashes, row-aligned),
    and the vectors of the passages' distinct sentences with their text hashes; with a re-ranker, one
    vector per passage from it (None without one)."""

    vectors: np.ndarray
    passage_rows: np.ndarray
    hashes: list[str]
    sentence_vectors: np.ndarray
    sentence_hashes: list[str]
    rerank_vectors: np.ndarray | None = None


def save_index(
    index_dir: Path,
    passages: Sequence[Passage],
    views: EmbeddedViews,
    manifest: Manifest,
    index: faiss.Index,
    lexical: LexicalIndex,
) -> Manifest:
    """Write a new generation atomically and make it current. Returns the manifest as written.

    A failed write (a full disk, say) raises IndexWriteFailed and leaves the previous generation current.
    """
    refuse_current_folder(index_dir)
    try:
        previous = current_generation(index_dir)
    except IndexError_:
        previous = None  # a damaged CURRENT is what this build replaces
    generation = f"{GENERATION_PREFIX}{time.time_ns():020d}-{uuid.uuid4().hex[:6]}"  # sorts by build time
    staging = index_dir / f"{STAGING_PREFIX}{generation}"
    try:
        final = _write_generation(staging, generation, passages, views, manifest, index, lexical)
        os.replace(staging, index_dir / generation)
        fsync_path(index_dir)
        write_atomically(index_dir / CURRENT_FILE, generation + "\n")
    except (OSError, sqlite3.Error) as error:
        _discard(index_dir, staging, generation)
        raise IndexWriteFailed(index_dir, _write_failure(error)) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    prune_generations(index_dir, keep={generation, previous})
    return final


def _discard(index_dir: Path, staging: Path, generation: str) -> None:
    """Remove what a failed build wrote, unless CURRENT already names it."""
    shutil.rmtree(staging, ignore_errors=True)
    try:
        named = current_generation(index_dir)
    except IndexError_:
        named = None
    if named != generation:
        shutil.rmtree(index_dir / generation, ignore_errors=True)


def _write_failure(error: Exception) -> str:
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return "the disk is full"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


def _write_generation(
    staging: Path,
    generation: str,
    passages: Sequence[Passage],
    views: EmbeddedViews,
    manifest: Manifest,
    index: faiss.Index,
    lexical: LexicalIndex,
) -> Manifest:
    """Every file of a generation in `staging`, fsynced; the manifest is written last."""
    staging.mkdir(parents=True)
    try:
        faiss.write_index(index, str(staging / FAISS_FILE))
    except RuntimeError as error:  # FAISS reports a failed write (a full disk too) this way
        raise OSError(f"can't write {FAISS_FILE}: {str(error).splitlines()[0]}") from None
    np.save(staging / EMBEDDINGS_FILE, np.asarray(views.vectors, dtype=np.float32))
    np.save(staging / VIEWS_FILE, np.asarray(views.passage_rows, dtype=np.int32))
    np.save(staging / SENTENCES_FILE, np.asarray(views.sentence_vectors, dtype=np.float32))
    write_passages(staging / PASSAGES_FILE, passages, views.hashes, views.sentence_hashes)
    save_lexical(lexical, staging / LEXICAL_FILE)
    if (views.rerank_vectors is None) != (manifest.rerank_model is None):
        raise ValueError("re-rank vectors without a rerank_model in the manifest, or the reverse")
    if views.rerank_vectors is not None:
        np.save(staging / RERANK_FILE, np.asarray(views.rerank_vectors, dtype=np.float32))
    files = data_files(manifest.rerank_model)
    final = stamped(manifest, {name: file_sha256(staging / name) for name in files}, generation)
    (staging / MANIFEST_FILE).write_text(final.to_json())
    for name in (*files, MANIFEST_FILE):
        fsync_path(staging / name)
    return final
