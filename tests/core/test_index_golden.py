"""The golden index: chunking and term output are pinned to the format version.

An incremental build reuses the previous generation's passages for unchanged articles and its term counts
for unchanged passage text, unless FORMAT_VERSION differs. So a change to chunking or to the lexical terms
without a bump goes unseen on existing indexes: old articles keep the old passages and counts while new
ones get the new. This test builds a small fixed knowledge base (tests/core/golden_kb, written for it)
with the fake embedder and a fixed token counter, and compares digests of what the index stores with
digests recorded at a format version.

To re-record: run this file, and copy the digests from the failure message into RECORDED.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from bot.core.indexer import build_index
from bot.core.store import FORMAT_VERSION, IndexStore, load_index
from tests.fakes import HashingEmbedder

GOLDEN_KB = Path(__file__).parent / "golden_kb"
# Small, so that sections are split, the long code block cut and the over-long word cut.
MAX_TOKENS = 40
LONG_WORD = re.compile(r"pneumono\w+")


class GoldenEmbedder(HashingEmbedder):
    """The fake embedder with a token counter fixed here, shaped like a word-piece tokenizer's (which
    the model's is, but its vocabulary may change with the library): a word costs a token per six
    characters, a punctuation mark one."""

    def count_tokens(self, text: str) -> int:
        return sum(1 + (len(word) - 1) // 6 for word in re.findall(r"\w+|[^\w\s]", text))
# Recorded at the commit that added this test, and checked against the code before the index format
# became a package: the same digests.
RECORDED = {
    "format_version": 12,
    "passages": "07b864d16c17cfe820074256c6e17252fe3c3ac256307b357cafe96eb72a3395",
    "terms": "aeda57cc6aad01c1d250cf42c0907efeba7856fe5dc32d3ce711ac3be6ea4594",
}
CHANGED = "chunking or term output changed: bump FORMAT_VERSION and re-record the digest"


def _sha256(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()


def passages_digest(store: IndexStore) -> str:
    """Over each passage's id, section and text, in row order."""
    return _sha256([(p.id, p.section, p.text) for p in store.all_passages()])


def terms_digest(store: IndexStore) -> str:
    """Over each passage's term counts, independent of how the vocabulary happens to be numbered, and
    the acronyms the passages define."""
    lexical = store.lexical
    words = sorted(lexical.vocabulary, key=lexical.vocabulary.__getitem__)
    starts, columns, counts = lexical.by_row()
    per_passage = [
        sorted((words[c], float(n)) for c, n in zip(columns[a:b], counts[a:b], strict=True))
        for a, b in zip(starts[:-1], starts[1:], strict=True)
    ]
    return _sha256([per_passage, sorted(lexical.acronyms.items())])


def golden_digests(tmp_path: Path, max_tokens: int = MAX_TOKENS) -> dict[str, object]:
    index_dir = tmp_path / f"index-{max_tokens}"
    build_index(GOLDEN_KB, index_dir, GoldenEmbedder(max_tokens=max_tokens))
    store = load_index(index_dir)
    try:
        return {
            "format_version": FORMAT_VERSION,
            "passages": passages_digest(store),
            "terms": terms_digest(store),
        }
    finally:
        store.close()


def test_chunking_and_terms_change_only_with_the_format_version(tmp_path):
    found = golden_digests(tmp_path)
    assert RECORDED["format_version"] == FORMAT_VERSION, (
        f"FORMAT_VERSION is {FORMAT_VERSION}, the golden digests were recorded at "
        f"{RECORDED['format_version']}: re-record them as {found}"
    )
    assert found == RECORDED, f"{CHANGED}; now {found}"


def test_the_digests_see_a_change_of_chunking(tmp_path):
    """A different token limit cuts the same articles into other passages; the digests must notice, or
    the golden test above could never fail."""
    default, smaller = golden_digests(tmp_path), golden_digests(tmp_path, MAX_TOKENS // 2)
    assert default["passages"] != smaller["passages"]
    assert default["terms"] != smaller["terms"]


def test_the_golden_corpus_exercises_splitting_and_acronyms(tmp_path):
    """The corpus must keep covering what chunking and terms do, or its digest pins little."""
    build_index(GOLDEN_KB, tmp_path / "index", GoldenEmbedder(max_tokens=MAX_TOKENS))
    store = load_index(tmp_path / "index")
    try:
        per_section: dict[tuple[str, str], int] = {}
        for passage in store.all_passages():
            key = (passage.doc_path, passage.section)
            per_section[key] = per_section.get(key, 0) + 1
        assert max(per_section.values()) > 1  # some section is split into several passages
        texts = [passage.text for passage in store.all_passages()]
        assert sum(text.startswith("```") for text in texts) > 1  # the code block is cut in pieces
        whole = LONG_WORD.search((GOLDEN_KB / "training.md").read_text())
        assert whole and not any(whole.group() in text for text in texts)  # the long word is cut
        assert {"RLHF", "XLA"} <= store.lexical.acronyms.keys()
        assert "torch.compil" in store.lexical.vocabulary  # a dotted name kept whole (stemmed)
    finally:
        store.close()
