"""Property tests: generated text of every kind (any Unicode, control characters, huge and empty inputs,
deep headings) through chunking, front matter, loading and building. Only qabot's own errors may escape,
passages always fit the model's limit, and an incremental build equals a full one."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.chunking import chunk_document
from bot.core.documents import Document, load_documents, parse_document
from bot.core.indexer import build_index
from bot.core.store import load_index
from bot.errors import EmptyKnowledgeBase, InvalidArticle
from tests.fakes import HashingEmbedder

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PIECE = re.compile(r"\w+|[^\w\s]")


def word_pieces(text: str) -> int:
    """A stand-in for a word-piece tokenizer, harsher than whitespace: each symbol is a token and a long
    word several, so unbroken runs of letters or symbols must be cut."""
    return sum(1 + len(piece) // 4 for piece in PIECE.findall(text))


heading = st.builds(lambda level, text: "#" * level + " " + text, st.integers(1, 8), st.text(max_size=300))
block = st.one_of(
    st.text(max_size=400),
    heading,
    st.text(alphabet="ab. \n", max_size=2000),
    st.builds(lambda body: f"```\n{body}\n```", st.text(max_size=600)),
    st.just("x" * 5000),
    st.just(""),
)
body = st.lists(block, max_size=12).map("\n\n".join)


@FAST
@given(body, st.text(max_size=200), st.integers(16, 128))
def test_passages_always_fit_the_models_limit(text, title, max_tokens):
    document = Document(path="a.md", title=title, body=text)
    for passage in chunk_document(document, word_pieces, max_tokens):
        assert word_pieces(passage.embedding_text) <= max_tokens
        assert passage.text.strip()


@FAST
@given(st.binary(max_size=3000) | body.map(str.encode))
def test_any_bytes_parse_to_a_document_or_a_reason(raw):
    try:
        document = parse_document("any.md", raw)
    except InvalidArticle as error:
        assert error.reason and "\n" not in error.reason
    else:
        assert document.body.strip() and isinstance(document.title, str)


yaml_value = st.recursive(
    st.one_of(st.text(max_size=30), st.integers(), st.booleans(), st.none(), st.just("2026-13-45")),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@FAST
@given(
    st.one_of(
        st.text(max_size=500),
        st.dictionaries(
            st.sampled_from(["title", "url", "tags", "updated", "framework", "x"]), yaml_value, max_size=5
        ).map(lambda meta: "\n".join(f"{key}: {value!r}" for key, value in meta.items())),
        st.just("[" * 200 + "]" * 200),
    ),
    st.text(max_size=200),
)
def test_any_front_matter_gives_a_document_or_a_reason(header, text):
    raw = f"---\n{header}\n---\n{text}".encode("utf-8", "surrogatepass")
    try:
        document = parse_document("fm.md", raw)
    except InvalidArticle as error:
        assert error.reason
    else:
        assert all(isinstance(tag, str) for tag in document.tags)
        assert document.url is None or isinstance(document.url, str)


names = st.text(alphabet="abc-_.\n é", min_size=1, max_size=12).map(lambda name: name + ".md")


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(names, st.binary(max_size=400) | body.map(str.encode), max_size=6))
def test_loading_any_folder_reports_or_reads_every_article_file(files):
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        written = set()
        for name, data in files.items():
            if "/" in name or name in (".md", "..md"):
                continue
            (root / name).write_bytes(data)
            if not name.startswith((".", "_")):
                written.add(name)
        try:
            result = load_documents(root)
        except EmptyKnowledgeBase as error:
            assert error.skipped == len(written)
            return
        seen = [d.path for d in result.documents] + [s.path for s in result.skipped]
        assert sorted(seen) == sorted(written)


article = st.builds(
    lambda title, text: f"---\ntitle: {title!r}\n---\n\n## Part\n\n{text}\n",
    st.text(alphabet="abcdef ", min_size=1, max_size=20),
    st.text(alphabet="abcdefgh .\n", min_size=1, max_size=400).filter(lambda t: any(c.isalpha() for c in t)),
)
knowledge = st.dictionaries(st.sampled_from([f"a{n}.md" for n in range(6)]), article, min_size=1, max_size=5)


@settings(max_examples=20, deadline=None)
@given(knowledge, knowledge)
def test_an_incremental_build_equals_a_full_build(before, after):
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "kb"
        root.mkdir()
        for name, text in before.items():
            (root / name).write_text(text)
        embedder = HashingEmbedder(max_tokens=32)
        build_index(root, Path(scratch) / "inc", embedder)
        for name in before.keys() - after.keys():
            (root / name).unlink()
        for name, text in after.items():
            (root / name).write_text(text)
        build_index(root, Path(scratch) / "inc", embedder)
        build_index(root, Path(scratch) / "full", embedder, full=True)
        incremental, full = load_index(Path(scratch) / "inc"), load_index(Path(scratch) / "full")
        try:
            assert incremental.manifest.articles == full.manifest.articles
            assert incremental.all_passages() == full.all_passages()
            assert np.allclose(incremental.embeddings, full.embeddings)
            assert np.allclose(incremental.sentence_vectors, full.sentence_vectors)
        finally:
            incremental.close()
            full.close()
