"""Reading a generation: find the one CURRENT names, verify it, and serve its passages and vectors."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from bot.core.chunking import Passage
from bot.core.store.checks import data_problem, verify_files
from bot.core.store.layout import (
    CURRENT_FILE,
    EMBEDDINGS_FILE,
    FAISS_FILE,
    FORMAT_VERSION,
    GENERATION_NAME,
    LEXICAL_FILE,
    MANIFEST_FILE,
    PASSAGES_FILE,
    RERANK_FILE,
    SENTENCES_FILE,
    VIEWS_FILE,
    text_hash,
)
from bot.core.store.lexical_file import load_lexical
from bot.core.store.manifest import Manifest, read_manifest
from bot.core.store.passages_table import PASSAGE_COLUMNS, TABLES, passage_from_row
from bot.errors import IndexCorrupt, IndexDirUnusable, IndexMismatch, IndexMissing


class IndexStore:
    """One loaded generation, read-only. Safe to share between threads."""

    def __init__(self, directory: Path, manifest: Manifest, index: faiss.Index) -> None:
        self.directory = directory
        self.manifest = manifest
        self.index = index
        self.embeddings = np.load(directory / EMBEDDINGS_FILE, mmap_mode="r")
        self.view_passage = np.load(directory / VIEWS_FILE)
        # view_start[p]:view_start[p + 1] are passage p's rows in `embeddings`.
        self.view_start = np.searchsorted(self.view_passage, np.arange(manifest.passage_count + 1))
        self.sentence_vectors = np.load(directory / SENTENCES_FILE, mmap_mode="r")
        # One vector per passage row from manifest.rerank_model, or None (see search.py).
        self.rerank_vectors: np.ndarray | None = (
            None if manifest.rerank_model is None else np.load(directory / RERANK_FILE, mmap_mode="r")
        )
        self.lexical = load_lexical(directory / LEXICAL_FILE)
        self._sentence_rows: dict[str, int] | None = None
        self._db = sqlite3.connect(
            f"file:{directory / PASSAGES_FILE}?mode=ro", uri=True, check_same_thread=False
        )
        self._db_lock = threading.Lock()

    @property
    def generation(self) -> str:
        return self.manifest.generation

    def __len__(self) -> int:
        return self.manifest.passage_count

    def search_views(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """FAISS search over views: (scores, view rows), each (len(vectors), k); -1 pads short results."""
        return self.index.search(np.ascontiguousarray(vectors, dtype=np.float32), min(k, self.index.ntotal))

    def view_vectors(self, passage_row: int) -> np.ndarray:
        return np.asarray(self.embeddings[self.view_start[passage_row] : self.view_start[passage_row + 1]])

    def passages(self, rows: Sequence[int]) -> list[Passage]:
        wanted = [int(r) for r in rows if r >= 0]
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        with self._db_lock:
            found = self._db.execute(
                f"SELECT {PASSAGE_COLUMNS} FROM passages WHERE row IN ({marks})", wanted
            ).fetchall()
        by_row = {row[0]: passage_from_row(row) for row in found}
        return [by_row[r] for r in wanted]

    def all_passages(self) -> list[Passage]:
        with self._db_lock:
            found = self._db.execute(f"SELECT {PASSAGE_COLUMNS} FROM passages ORDER BY row").fetchall()
        return [passage_from_row(row) for row in found]

    def passages_by_article(self) -> dict[str, list[Passage]]:
        """Every passage, grouped by article path, in article order."""
        by_article: dict[str, list[Passage]] = {}
        for passage in self.all_passages():
            by_article.setdefault(passage.doc_path, []).append(passage)
        return by_article

    @cached_property
    def _view_hashes(self) -> dict[int, str]:
        """Each view's row -> the hash of its text (read once: an incremental build asks twice)."""
        with self._db_lock:
            return dict(self._db.execute("SELECT row, text_hash FROM views").fetchall())

    def vectors_by_text_hash(self) -> dict[str, np.ndarray]:
        """Every vector of this generation (views and sentences) keyed by the hash of its text."""
        with self._db_lock:
            sentences = self._db.execute("SELECT row, text_hash FROM sentences").fetchall()
        cache = {digest: np.array(self.embeddings[row]) for row, digest in self._view_hashes.items()}
        cache.update((digest, np.array(self.sentence_vectors[row])) for row, digest in sentences)
        return cache

    def rerank_vectors_by_text_hash(self) -> dict[str, np.ndarray]:
        """Each passage's re-rank vector keyed by the hash of its embedding text (empty without any)."""
        if self.rerank_vectors is None:
            return {}
        vectors = self.rerank_vectors
        return {digest: np.array(vectors[row]) for digest, row in self.passage_rows_by_text_hash().items()}

    def passage_rows_by_text_hash(self) -> dict[str, int]:
        """Each passage's row keyed by the hash of its embedding text (its first view, see Passage.views)."""
        views = self._view_hashes
        return {views[int(start)]: row for row, start in enumerate(self.view_start[:-1])}

    def sentence_vector(self, sentence: str) -> np.ndarray | None:
        """The stored vector of a passage sentence (None for text that is not one)."""
        if self._sentence_rows is None:
            with self._db_lock:
                rows = self._db.execute("SELECT row, text_hash FROM sentences").fetchall()
            self._sentence_rows = {digest: row for row, digest in rows}
        row = self._sentence_rows.get(text_hash(sentence))
        return None if row is None else np.asarray(self.sentence_vectors[row])

    def consistency_problem(self) -> str | None:
        """Whether the manifest agrees with the arrays and tables it describes (see checks.py)."""
        with self._db_lock:
            counts = {
                table: self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in TABLES
            }
        return data_problem(
            self.manifest,
            embeddings=self.embeddings,
            view_passage=self.view_passage,
            sentence_vectors=self.sentence_vectors,
            rerank_vectors=self.rerank_vectors,
            lexical_passages=self.lexical.passage_count,
            lexical_max_row=int(self.lexical.rows.max(initial=-1)),
            table_counts=counts,
        )

    def close(self) -> None:
        with self._db_lock:
            self._db.close()


def current_generation(index_dir: Path) -> str | None:
    """The generation CURRENT names; None when there is none yet. A CURRENT that is a folder, not
    text, or names something outside the index directory is refused, as is an unusable index_dir."""
    path = index_dir / CURRENT_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        refuse_current_folder(index_dir)
    except NotADirectoryError:
        raise IndexDirUnusable(index_dir, "a part of that path is a file, not a folder") from None
    except OSError as error:
        raise IndexDirUnusable(index_dir, f"can't read {CURRENT_FILE}: {error.strerror}") from None
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        name = None
    if name == "":
        return None
    if name is None or not GENERATION_NAME.fullmatch(name):
        raise IndexCorrupt(index_dir, f"{CURRENT_FILE} does not hold a generation name")
    return name


def refuse_current_folder(index_dir: Path) -> None:
    """A folder where CURRENT belongs is not ours to delete, and no build can replace it."""
    path = index_dir / CURRENT_FILE
    if path.is_dir():
        raise IndexCorrupt(index_dir, f"{path} is a folder, not a file", "remove it, then run `qabot index`")


def load_index(
    index_dir: Path,
    model: str | None = None,
    dimension: int | None = None,
    backend: str | None = None,
    rerank: tuple[str, int] | None = None,
) -> IndexStore:
    """Load and verify the generation named in CURRENT; refuse a mismatched or damaged index.

    `backend` ("torch", "onnx", "onnx-int8"): vectors from another runtime or quantization are close but
    not identical to the query's, so an index built with a different one is refused, not half-trusted.
    `rerank` (the re-ranking model's name and dimension): an index without that model's passage vectors
    is refused; without it, any re-rank vectors the index has are simply not used.
    """
    name = current_generation(index_dir)
    if name is None:
        raise IndexMissing(index_dir)
    directory = index_dir / name
    manifest = read_manifest(directory)
    configured = {
        "format_version": FORMAT_VERSION,
        "model": model,
        "dimension": dimension,
        "backend": backend,
        "rerank_model": None if rerank is None else rerank[0],
    }
    for field, expected in configured.items():  # in this order: the first difference is the one named
        found = getattr(manifest, field)
        if expected is not None and found != expected:
            raise IndexMismatch(index_dir, field, expected, found)
    verify_files(directory, manifest)
    try:
        index = faiss.read_index(str(directory / FAISS_FILE))
    except RuntimeError as error:
        raise IndexCorrupt(
            index_dir, f"FAISS can't read {FAISS_FILE}: {str(error).splitlines()[0]}"
        ) from None
    if index.ntotal != manifest.view_count or index.d != manifest.dimension:
        raise IndexCorrupt(index_dir, "FAISS index does not match the manifest's counts")
    try:
        store = IndexStore(directory, manifest, index)
        problem = store.consistency_problem()
    except (ValueError, KeyError, OSError, sqlite3.Error) as error:  # intact files this version can't read
        raise IndexCorrupt(index_dir, f"can't read {directory.name}: {error}") from None
    if problem:
        store.close()
        raise IndexCorrupt(index_dir, f"{directory.name}/{MANIFEST_FILE} does not match its data: {problem}")
    if rerank is not None and store.rerank_vectors is not None and store.rerank_vectors.shape[1] != rerank[1]:
        found = store.rerank_vectors.shape[1]
        store.close()
        raise IndexMismatch(index_dir, "rerank_dimension", rerank[1], found)
    return store
