"""The layout of passages.sqlite: passage text and metadata, and the text hash of every vector.

Tables, each keyed by the row its data has in the generation's arrays:
    passages   row, id, doc_path, title, section, text, url, ordinal  (row = the passage's number)
    views      row, text_hash  (row = the view's row in embeddings.npy and the FAISS index)
    sentences  row, text_hash  (row = the sentence's row in sentences.npy)
The text hashes let the next build reuse a vector instead of embedding its text again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from bot.core.chunking import Passage

TABLES = ("passages", "views", "sentences")
PASSAGE_COLUMNS = "row, id, doc_path, title, section, text, url, ordinal"


def write_passages(
    path: Path, passages: Sequence[Passage], view_hashes: Sequence[str], sentence_hashes: Sequence[str]
) -> None:
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
        db.executemany("INSERT INTO views (row, text_hash) VALUES (?, ?)", enumerate(view_hashes))
        db.executemany("INSERT INTO sentences (row, text_hash) VALUES (?, ?)", enumerate(sentence_hashes))
        db.commit()
    finally:
        db.close()


def passage_from_row(row: tuple[int, str, str, str, str, str, str, int]) -> Passage:
    """A Passage from a row selected with PASSAGE_COLUMNS."""
    _, pid, doc_path, title, section, text, url, ordinal = row
    return Passage(pid, doc_path, title, section, text, url, ordinal)
