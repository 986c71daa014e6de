"""The index on disk: FAISS vectors, a passage table, raw embeddings and a manifest, per generation.

Layout of an index directory:
    CURRENT              name of the generation being served (replaced atomically)
    gen-<stamp>/         one complete, immutable build
        manifest.json    model, dimension, counts, per-article hashes, file checksums, format version
        vectors.faiss    the FAISS index over every view of every passage (inner product = cosine)
        embeddings.npy   the raw view vectors (FAISS id i = row i), for rescoring and incremental builds
        views.npy        int32: the passage row each view belongs to (views of a passage are contiguous)
        sentences.npy    vectors of the passages' sentences, so choosing answer sentences costs no model call
        lexical.npz      the passages' term statistics for lexical scoring (see lexical.py)
        passages.sqlite  passage text and metadata, and each view's text hash (on disk, not in Python objects)

A build is written to a temporary directory, fsynced, renamed into place, and only then named in CURRENT,
so a crash at any point leaves the previous generation loadable.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from bot.core.chunking import Passage
from bot.core.index_checks import data_problem, manifest_problem
from bot.core.lexical import LexicalIndex
from bot.errors import (
    IndexCorrupt,
    IndexDirUnusable,
    IndexError_,
    IndexMismatch,
    IndexMissing,
    IndexWriteFailed,
)

log = logging.getLogger(__name__)

# Bump when the files, the chunking or the lexical terms change: an incremental build reuses the
# previous passages (and word counts) of unchanged articles, and a different version starts from scratch.
FORMAT_VERSION = 11
CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"
FAISS_FILE = "vectors.faiss"
EMBEDDINGS_FILE = "embeddings.npy"
VIEWS_FILE = "views.npy"
SENTENCES_FILE = "sentences.npy"
PASSAGES_FILE = "passages.sqlite"
LEXICAL_FILE = "lexical.npz"
DATA_FILES = (FAISS_FILE, EMBEDDINGS_FILE, VIEWS_FILE, SENTENCES_FILE, PASSAGES_FILE, LEXICAL_FILE)
# What CURRENT may name: one directory inside the index directory, never a path out of it.
GENERATION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")

PASSAGE_COLUMNS = "row, id, doc_path, title, section, text, url, ordinal"


@dataclass(frozen=True)
class ArticleEntry:
    content_hash: str
    title: str
    passages: int


@dataclass(frozen=True)
class Manifest:
    model: str
    backend: str
    dimension: int
    index_type: str
    max_tokens: int
    passage_count: int
    view_count: int
    sentence_count: int
    articles: dict[str, ArticleEntry]
    files: dict[str, str] = field(default_factory=dict)
    generation: str = ""
    built_at: float = 0.0
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        problem = manifest_problem(data)
        if problem:
            raise ValueError(problem)
        data["articles"] = {path: ArticleEntry(**entry) for path, entry in data["articles"].items()}
        return cls(**data)


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
        self.lexical = LexicalIndex.load(directory / LEXICAL_FILE)
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
        by_row = {row[0]: _passage_from_row(row) for row in found}
        return [by_row[r] for r in wanted]

    def all_passages(self) -> list[Passage]:
        with self._db_lock:
            found = self._db.execute(f"SELECT {PASSAGE_COLUMNS} FROM passages ORDER BY row").fetchall()
        return [_passage_from_row(row) for row in found]

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
        """Whether the manifest agrees with the arrays and tables it describes (see index_checks)."""
        with self._db_lock:
            counts = {
                table: self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("passages", "views", "sentences")
            }
        return data_problem(
            self.manifest,
            embeddings=self.embeddings,
            view_passage=self.view_passage,
            sentence_vectors=self.sentence_vectors,
            lexical_passages=self.lexical.passage_count,
            lexical_max_row=int(self.lexical.rows.max(initial=-1)),
            table_counts=counts,
        )

    def close(self) -> None:
        with self._db_lock:
            self._db.close()


def _passage_from_row(row: tuple) -> Passage:
    _, pid, doc_path, title, section, text, url, ordinal = row
    return Passage(pid, doc_path, title, section, text, url, ordinal)


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
    index_dir: Path, model: str | None = None, dimension: int | None = None, backend: str | None = None
) -> IndexStore:
    """Load and verify the generation named in CURRENT; refuse a mismatched or damaged index.

    `backend` ("torch", "onnx", "onnx-int8"): vectors from another runtime or quantization are close but
    not identical to the query's, so an index built with a different one is refused, not half-trusted.
    """
    name = current_generation(index_dir)
    if name is None:
        raise IndexMissing(index_dir)
    directory = index_dir / name
    manifest = read_manifest(directory)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(index_dir, "format_version", FORMAT_VERSION, manifest.format_version)
    if model is not None and manifest.model != model:
        raise IndexMismatch(index_dir, "model", model, manifest.model)
    if dimension is not None and manifest.dimension != dimension:
        raise IndexMismatch(index_dir, "dimension", dimension, manifest.dimension)
    if backend is not None and manifest.backend != backend:
        raise IndexMismatch(index_dir, "backend", backend, manifest.backend)
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
    return store


def read_manifest(directory: Path) -> Manifest:
    try:
        return Manifest.from_json((directory / MANIFEST_FILE).read_text())
    except FileNotFoundError:
        raise IndexCorrupt(directory.parent, f"{directory.name}/{MANIFEST_FILE} is missing") from None
    except (ValueError, TypeError, KeyError) as error:
        raise IndexCorrupt(directory.parent, f"{MANIFEST_FILE} is damaged ({error})") from None


def verify_files(directory: Path, manifest: Manifest) -> None:
    for name in DATA_FILES:
        path = directory / name
        if not path.is_file():
            raise IndexCorrupt(directory.parent, f"{name} is missing")
        if file_sha256(path) != manifest.files.get(name):
            raise IndexCorrupt(directory.parent, f"{name} is truncated or damaged (checksum mismatch)")


@dataclass(frozen=True)
class Views:
    """Every embedded view of every passage (vectors, owning passage rows, text hashes, row-aligned),
    and the vectors of the passages' distinct sentences with their text hashes."""

    vectors: np.ndarray
    passage_rows: np.ndarray
    hashes: list[str]
    sentence_vectors: np.ndarray
    sentence_hashes: list[str]


def save_index(
    index_dir: Path,
    passages: Sequence[Passage],
    views: Views,
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
    generation = f"gen-{time.time_ns():020d}-{uuid.uuid4().hex[:6]}"  # sorts by build time
    staging = index_dir / f".tmp-{generation}"
    try:
        final = _write_generation(staging, passages, views, manifest, index, lexical)
        os.replace(staging, index_dir / generation)
        _fsync(index_dir)
        _write_atomically(index_dir / CURRENT_FILE, generation + "\n")
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
    passages: Sequence[Passage],
    views: Views,
    manifest: Manifest,
    index: faiss.Index,
    lexical: LexicalIndex,
) -> Manifest:
    """Every file of a generation in `staging`, fsynced; the manifest is written last."""
    staging.mkdir(parents=True)
    generation = staging.name.removeprefix(".tmp-")
    try:
        faiss.write_index(index, str(staging / FAISS_FILE))
    except RuntimeError as error:  # FAISS reports a failed write (a full disk too) this way
        raise OSError(f"can't write {FAISS_FILE}: {str(error).splitlines()[0]}") from None
    np.save(staging / EMBEDDINGS_FILE, np.asarray(views.vectors, dtype=np.float32))
    np.save(staging / VIEWS_FILE, np.asarray(views.passage_rows, dtype=np.int32))
    np.save(staging / SENTENCES_FILE, np.asarray(views.sentence_vectors, dtype=np.float32))
    _write_passages(staging / PASSAGES_FILE, passages, views)
    lexical.save(staging / LEXICAL_FILE)
    files = {name: file_sha256(staging / name) for name in DATA_FILES}
    final = Manifest(
        **{
            **asdict(manifest),
            "articles": manifest.articles,
            "files": files,
            "generation": generation,
            "built_at": time.time(),
        }
    )
    (staging / MANIFEST_FILE).write_text(final.to_json())
    for name in (*DATA_FILES, MANIFEST_FILE):
        _fsync(staging / name)
    return final


def _write_passages(path: Path, passages: Sequence[Passage], views: Views) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute(
            "CREATE TABLE passages (row INTEGER PRIMARY KEY, id TEXT UNIQUE, doc_path TEXT, title TEXT,"
            " section TEXT, text TEXT, url TEXT, ordinal INTEGER)"
        )
        db.execute("CREATE TABLE views (row INTEGER PRIMARY KEY, text_hash TEXT)")
        db.execute("CREATE TABLE sentences (row INTEGER PRIMARY KEY, text_hash TEXT)")
        db.executemany(
            f"INSERT INTO passages ({PASSAGE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
            (
                (row, p.id, p.doc_path, p.title, p.section, p.text, p.url, p.ordinal)
                for row, p in enumerate(passages)
            ),
        )
        db.executemany("INSERT INTO views (row, text_hash) VALUES (?, ?)", enumerate(views.hashes))
        db.executemany(
            "INSERT INTO sentences (row, text_hash) VALUES (?, ?)", enumerate(views.sentence_hashes)
        )
        db.commit()
    finally:
        db.close()


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    with temporary.open("w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync(path.parent)


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def prune_generations(index_dir: Path, keep: set[str | None]) -> None:
    """Drop every generation but those in `keep` (the new one and the one it replaced, which other
    processes may still be reading) and abandoned staging directories.

    `keep` is named, not counted: a build killed between renaming its generation into place and
    moving CURRENT leaves an orphan newer than CURRENT, and "the two newest" would keep that orphan
    and delete the generation readers are using.
    """
    keep = keep | {current_generation(index_dir)}
    for old in index_dir.glob("gen-*"):
        if old.is_dir() and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    for staging in index_dir.glob(".tmp-gen-*"):
        if time.time() - staging.stat().st_mtime > 3600:
            shutil.rmtree(staging, ignore_errors=True)
