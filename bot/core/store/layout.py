"""The index format's version and the names of its files.

Layout of an index directory:
    CURRENT              name of the generation being served (replaced atomically)
    gen-<stamp>/         one complete, immutable build
        manifest.json    model, dimension, counts, per-article hashes, file checksums, format version
        vectors.faiss    the FAISS index over every view of every passage (inner product = cosine)
        embeddings.npy   float32: the raw view vectors (FAISS id i = row i), for rescoring and reuse
        views.npy        int32: the passage row each view belongs to (views of a passage are contiguous)
        sentences.npy    float32: vectors of the passages' distinct sentences (answers need no model call)
        rerank.npy       float32: one vector per passage (its embedding text) from the re-ranking model;
                         only when the manifest names a `rerank_model` (the file is then checksummed too)
        lexical.npz      the passages' term counts and the acronyms they define (see lexical_file.py)
        passages.sqlite  passage text and metadata, and each view's and sentence's text hash
                         (see passages_table.py)
"""

from __future__ import annotations

import hashlib
import re

# Bump when the files, the chunking or the lexical terms change: an incremental build reuses the
# previous passages (and word counts) of unchanged articles, and a different version starts from scratch.
# tests/core/test_index_golden.py fails when chunking or term output changes and this stays the same.
FORMAT_VERSION = 12

CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"
FAISS_FILE = "vectors.faiss"
EMBEDDINGS_FILE = "embeddings.npy"
VIEWS_FILE = "views.npy"
SENTENCES_FILE = "sentences.npy"
PASSAGES_FILE = "passages.sqlite"
LEXICAL_FILE = "lexical.npz"
RERANK_FILE = "rerank.npy"  # optional: see data_files()
# Every file the manifest checksums; the manifest is written after them and is not among them.
DATA_FILES = (FAISS_FILE, EMBEDDINGS_FILE, VIEWS_FILE, SENTENCES_FILE, PASSAGES_FILE, LEXICAL_FILE)


def data_files(rerank_model: str | None) -> tuple[str, ...]:
    """The files a generation's manifest checksums: DATA_FILES, and rerank.npy when it has one. An index
    without a re-ranker is written exactly as before the file existed, so it needs no format bump."""
    return DATA_FILES if rerank_model is None else (*DATA_FILES, RERANK_FILE)


GENERATION_PREFIX = "gen-"
STAGING_PREFIX = ".tmp-"  # a generation being written; hidden, and never named in CURRENT
# What CURRENT may name: one directory inside the index directory, never a path out of it.
GENERATION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def text_hash(text: str) -> str:
    """The key under which a text's vector is stored and found again (views, sentences)."""
    return hashlib.sha1(text.encode()).hexdigest()
