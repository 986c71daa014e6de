"""A server collection's quota: how many articles and how many bytes its knowledge folder may hold, so
that one server's moderators can't fill the disk the bot shares with every other server.

Counted on disk, never from the index: articles are the article files the indexer would read (hidden
names and folders left out), bytes are every regular file in the folder, the trash included (a
server's removed article goes once its reindex succeeds, but anything left there is still on the disk). Nothing is followed: links count as nothing, like knowledge_files
reads them. The base collection (the operator's) has no quota; neither has the command line.
"""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.core.knowledge_files import MAX_FOLDER_DEPTH, is_article_name, is_hidden
from bot.errors import QuotaExceeded

MB = 1024 * 1024


@dataclass(frozen=True)
class Quota:
    """The most a server's knowledge folder may hold (QABOT_MAX_SERVER_ARTICLES, QABOT_MAX_SERVER_MB)."""

    max_articles: int
    max_bytes: int


@dataclass(frozen=True)
class Usage:
    """What a knowledge folder holds: article files, and bytes of every regular file."""

    articles: int = 0
    bytes: int = 0

    def grown(self, old_bytes: int | None, new_bytes: int) -> Usage:
        """After writing `new_bytes` over a file of `old_bytes` (None: a new article): a replacement
        counts the difference, not the sum."""
        added = 1 if old_bytes is None else 0
        return Usage(self.articles + added, self.bytes + new_bytes - (old_bytes or 0))


def folder_usage(knowledge_dir: Path) -> Usage:
    """Count a knowledge folder without following links (an absent folder holds nothing)."""
    try:
        return _count(knowledge_dir, 0, hidden=False)
    except FileNotFoundError:
        return Usage()


def _count(folder: Path, depth: int, hidden: bool) -> Usage:
    articles = size = 0
    with os.scandir(folder) as scan:
        entries = list(scan)
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:  # gone meanwhile
            continue
        quiet = hidden or is_hidden(entry.name)
        if stat.S_ISDIR(info.st_mode) and depth < MAX_FOLDER_DEPTH:
            inner = _count(Path(entry.path), depth + 1, quiet)
            articles, size = articles + inner.articles, size + inner.bytes
        elif stat.S_ISREG(info.st_mode):
            size += info.st_size
            articles += 0 if quiet or not is_article_name(entry.name) else 1
    return Usage(articles, size)


def check_fits(quota: Quota, before: Usage, after: Usage) -> None:
    """Raise QuotaExceeded when a change from `before` to `after` would pass the quota. A change that
    doesn't grow a measure passes on it, so a collection over a lowered quota can still shrink."""
    if after.articles > max(quota.max_articles, before.articles):
        raise QuotaExceeded("QABOT_MAX_SERVER_ARTICLES", quota.max_articles, after.articles, "articles")
    if after.bytes > max(quota.max_bytes, before.bytes):
        raise QuotaExceeded("QABOT_MAX_SERVER_MB", quota.max_bytes, after.bytes, "bytes")


def usage_line(quota: Quota, usage: Usage) -> str:
    """`12 of 1,000 articles, 0.3 of 50 MB`: a server's usage against its quota, for moderators."""
    return (
        f"{usage.articles:,} of {quota.max_articles:,} articles, "
        f"{usage.bytes / MB:.1f} of {quota.max_bytes / MB:g} MB"
    )


class Allowance:
    """A sync's running count against the quota: each page written takes from it, and a page that
    would pass the quota is refused (the sync goes on with pages that fit, e.g. unchanged ones).
    Thread-safe: a website's pages are written a few at a time."""

    def __init__(self, quota: Quota, usage: Usage) -> None:
        self.quota = quota
        self.usage = usage
        self._lock = threading.Lock()

    def take(self, old_bytes: int | None, new_bytes: int) -> None:
        """Count a write of `new_bytes` over `old_bytes` (None: a new article), or raise QuotaExceeded."""
        with self._lock:
            after = self.usage.grown(old_bytes, new_bytes)
            check_fits(self.quota, self.usage, after)
            self.usage = after
