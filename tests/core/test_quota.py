"""A server collection's quota on real files and real FAISS (the hashing stand-in for the model): how a
knowledge folder is counted (no link followed, the trash's bytes counted), /kb add refused past the quota
with nothing changed, a replacement counted by its difference, and the command line not limited."""

from __future__ import annotations

import os

import pytest

from bot.core.articles import TRASH_DIR, add_article
from bot.core.collections import Collections
from bot.core.quota import Quota, Usage, folder_usage, usage_line
from bot.core.service import KnowledgeBase
from bot.errors import QuotaExceeded
from tests.fakes import HashingEmbedder

GUILD_A, GUILD_B = 111, 222
LIMIT = 100_000


def article(title: str, words: int = 20) -> bytes:
    body = " ".join(f"{title.lower()}{i}" for i in range(words))
    return f"---\ntitle: {title}\n---\n\n## About {title}\n\n{body}\n".encode()


def collections_with(tmp_path, quota: Quota) -> Collections:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "base.md").write_bytes(article("Base"))
    base = KnowledgeBase(knowledge, tmp_path / "index", HashingEmbedder(), threshold=0.3)
    base.load()
    return Collections(base, tmp_path / "collections", memory_budget=10**9, quota=quota)


def snapshot(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_folder_counts_its_articles_and_every_files_bytes_but_follows_no_link(tmp_path):
    knowledge = tmp_path / "knowledge"
    (knowledge / "guide").mkdir(parents=True)
    (knowledge / "a.md").write_bytes(b"x" * 100)
    (knowledge / "guide" / "b.rst").write_bytes(b"y" * 50)
    (knowledge / "notes.bin").write_bytes(b"z" * 7)  # not an article, still on the disk
    (knowledge / TRASH_DIR).mkdir()
    (knowledge / TRASH_DIR / "old.md").write_bytes(b"t" * 30)  # removed: no article, still bytes
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "huge.md").write_bytes(b"h" * 10_000)
    os.symlink(outside / "huge.md", knowledge / "linked.md")
    os.symlink(outside, knowledge / "linked-folder")
    assert folder_usage(knowledge) == Usage(articles=2, bytes=187)
    assert folder_usage(tmp_path / "absent") == Usage()


def test_a_replacement_counts_the_difference_and_a_new_article_one_more():
    usage = Usage(articles=3, bytes=1_000)
    assert usage.grown(old_bytes=400, new_bytes=500) == Usage(3, 1_100)
    assert usage.grown(old_bytes=None, new_bytes=500) == Usage(4, 1_500)


def test_an_upload_past_the_article_quota_is_refused_and_nothing_changes(tmp_path):
    collections = collections_with(tmp_path, Quota(max_articles=2, max_bytes=10**6))
    collections.add(GUILD_A, "one.md", article("One"), limit=LIMIT, replace=False)
    collections.add(GUILD_A, "two.md", article("Two"), limit=LIMIT, replace=False)
    folder = collections.knowledge_dir(GUILD_A)
    before, generation = snapshot(folder), (collections.index_dir(GUILD_A) / "CURRENT").read_text()
    with pytest.raises(QuotaExceeded, match=r"QABOT_MAX_SERVER_ARTICLES.*Nothing was changed\.$") as refused:
        collections.add(GUILD_A, "three.md", article("Three"), limit=LIMIT, replace=False)
    assert (refused.value.limit, refused.value.wanted) == (2, 3)
    assert snapshot(folder) == before
    assert (collections.index_dir(GUILD_A) / "CURRENT").read_text() == generation
    collections.add(GUILD_B, "three.md", article("Three"), limit=LIMIT, replace=False)  # its own count
    assert collections.usage(GUILD_B).articles == 1


def test_replacing_an_article_counts_the_difference_not_the_sum(tmp_path):
    first = article("Wombat", words=200)
    collections = collections_with(tmp_path, Quota(max_articles=10, max_bytes=len(first) + 100))
    collections.add(GUILD_A, "wombat.md", first, limit=LIMIT, replace=False)
    longer = article("Wombat", words=205)  # the sum of both would be twice the quota
    change = collections.add(GUILD_A, "wombat.md", longer, limit=LIMIT, replace=True)
    assert change.replaced and collections.usage(GUILD_A).bytes == len(longer)
    with pytest.raises(QuotaExceeded, match=r"more than the .* MB it may \(QABOT_MAX_SERVER_MB\)"):
        collections.add(GUILD_A, "wombat.md", article("Wombat", words=300), limit=LIMIT, replace=True)
    assert (collections.knowledge_dir(GUILD_A) / "wombat.md").read_bytes() == longer


def test_a_collection_over_a_lowered_quota_may_still_shrink(tmp_path):
    collections = collections_with(tmp_path, Quota(max_articles=10, max_bytes=10**6))
    collections.add(GUILD_A, "big.md", article("Big", words=300), limit=LIMIT, replace=False)
    collections.quota = Quota(max_articles=10, max_bytes=100)  # the operator lowered it
    smaller = article("Big", words=100)
    collections.add(GUILD_A, "big.md", smaller, limit=LIMIT, replace=True)
    assert collections.usage(GUILD_A).bytes == len(smaller)


def test_the_command_line_and_the_base_are_not_limited(tmp_path):
    collections = collections_with(tmp_path, Quota(max_articles=1, max_bytes=2**20))
    collections.add(GUILD_A, "one.md", article("One"), limit=LIMIT, replace=False)
    # `qabot kb add --collection` builds its Collections without a quota (bot.cli.collections).
    operator = Collections(collections.base, collections.root, memory_budget=10**9)
    operator.add(GUILD_A, "two.md", article("Two"), limit=LIMIT, replace=False)
    add_article(collections.base, "more.md", article("More"), limit=LIMIT, replace=False)  # the base
    assert collections.usage(GUILD_A).articles == 2
    assert usage_line(collections.quota, collections.usage(GUILD_A)) == "2 of 1 articles, 0.0 of 1 MB"
