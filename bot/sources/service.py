"""Adding, listing, removing and syncing sources: the one implementation behind `qabot source` and
`/kb source`. The adapters hand in names and locations and turn the reports into words.

A sync runs source by source (a lock file keeps two processes from syncing at once), writes what
changed under `knowledge/sources/<name>/`, removes what is gone, saves the source's state, and then
the caller's reindex builds one new index generation, swapped in atomically, re-embedding only new text.
A source that can't be synced at all keeps its articles as they were and is reported; the others go on.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.files import file_lock
from bot.core.indexer import BuildReport
from bot.core.quota import Allowance, Quota, folder_usage
from bot.errors import SourceError, SourceRefused, SyncBusy, TooManySources
from bot.sources.gitrepo import sync_repository
from bot.sources.http import Fetcher
from bot.sources.pages import remove_article, remove_folder, source_folder
from bot.sources.policy import FetchPolicy
from bot.sources.registry import (
    Kind,
    Registry,
    Source,
    check_location,
    check_name,
    guess_kind,
    split_tree_url,
)
from bot.sources.state import SyncState
from bot.sources.website import OVER_QUOTA, Outcome, Pages, kept_urls, sync_file, sync_website

log = logging.getLogger(__name__)

LOCK_FILE = ".sync.lock"
# progress(source name, done, total)
SyncProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SyncReport:
    name: str
    written: tuple[str, ...] = ()  # pages or files new or changed since the last sync
    unchanged: int = 0
    removed: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()  # (URL or path, reason); their last good copies are kept
    notes: tuple[str, ...] = ()
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None  # the whole source failed; nothing of it changed

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


@dataclass(frozen=True)
class SyncResult:
    reports: tuple[SyncReport, ...]
    build: BuildReport | None = None  # None when no source changed anything
    seconds: float = 0.0


@dataclass
class SourceService:
    sources_dir: Path
    knowledge_dir: Path
    policy: FetchPolicy = field(default_factory=FetchPolicy)
    # At most this many sources (a server's, added from Discord); None: no limit (the operator's).
    max_sources: int | None = None
    # What the knowledge folder may hold (a server's collection, synced from Discord); None: no limit.
    quota: Quota | None = None

    def registry(self) -> Registry:
        return Registry.load(self.sources_dir)

    def all_sources(self) -> list[Source]:
        return sorted(self.registry().sources.values(), key=lambda s: s.name)

    def add(
        self,
        name: str,
        location: str,
        *,
        include: tuple[str, ...] = (),
        exclude: tuple[str, ...] = (),
        kind: Kind | None = None,
        branch: str = "",
        folder: str = "",
        local_allowed: bool = False,
    ) -> Source:
        """Check and register a source (nothing is fetched until it is synced)."""
        check_name(name)
        tree = split_tree_url(location) if kind in (None, "git") else None
        if tree is not None:  # a folder's page on the host: its repository, branch and folder
            location, branch, folder = tree[0], branch or tree[1], folder or tree[2]
            kind = "git"
        kind = kind or guess_kind(location)
        location = check_location(kind, location.strip(), local_allowed)
        source = Source(name, kind, location, tuple(include), tuple(exclude), branch, folder.strip("/"))
        with self._locked():
            registry = self.registry()
            if self.max_sources is not None and len(registry.sources) >= self.max_sources:
                raise TooManySources(self.max_sources)
            registry.add(source)
            registry.save()
        return source

    def remove(self, name: str) -> Source:
        """Forget a source and delete its articles and state; the caller reindexes."""
        with self._locked():
            registry = self.registry()
            source = registry.get(name)
            del registry.sources[name]
            registry.save()
            remove_folder(source_folder(self.knowledge_dir, name))
            shutil.rmtree(self.sources_dir / name, ignore_errors=True)
        return source

    def sync(self, names: list[str] | None = None, progress: SyncProgress | None = None) -> list[SyncReport]:
        """Sync the named sources (all when None); writes articles, never the index."""
        registry = self.registry()
        chosen = [registry.get(name) for name in names] if names else list(registry.sources.values())
        with self._locked():
            allowance = Allowance(self.quota, folder_usage(self.knowledge_dir)) if self.quota else None
            return [self._sync_one(source, progress, allowance) for source in chosen]

    def sync_and_reindex(
        self,
        reindex: Callable[[], BuildReport],
        names: list[str] | None = None,
        progress: SyncProgress | None = None,
    ) -> SyncResult:
        """Sync, then build one new index generation when any source changed (questions keep the old
        one until the build swaps it in)."""
        started = time.perf_counter()
        reports = self.sync(names, progress)
        build = reindex() if any(report.changed for report in reports) else None
        return SyncResult(tuple(reports), build, time.perf_counter() - started)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with contextlib.ExitStack() as held:
            try:
                self.sources_dir.mkdir(parents=True, exist_ok=True)
                held.enter_context(file_lock(self.sources_dir / LOCK_FILE, wait=False))
            except BlockingIOError:
                raise SyncBusy() from None
            except OSError as error:  # a file where the folder should be (QABOT_SOURCES_DIR=/etc/passwd)
                raise SourceRefused(
                    str(self.sources_dir),
                    f"can't use it as the sources folder ({error.strerror or error}); "
                    "choose another with QABOT_SOURCES_DIR",
                ) from None
            yield

    def _sync_one(
        self, source: Source, progress: SyncProgress | None, allowance: Allowance | None
    ) -> SyncReport:
        started = time.perf_counter()
        state_dir = self.sources_dir / source.name
        state = SyncState.load(state_dir)
        folder = source_folder(self.knowledge_dir, source.name)
        folder.mkdir(parents=True, exist_ok=True)
        fetcher = Fetcher(self.policy)
        report_progress = (lambda done, total: progress(source.name, done, total)) if progress else None
        try:
            outcomes, notes = self._fetch(
                source, folder, state, state_dir, fetcher, report_progress, allowance
            )
        except SourceError as error:
            log.warning("source %s not synced: %s", source.name, error)
            return SyncReport(
                source.name,
                requests=fetcher.requests,
                seconds=time.perf_counter() - started,
                error=getattr(error, "reason", str(error)),
            )
        finally:
            fetcher.close()
        # A sync in which no page could be read (the site down) says nothing about which pages are gone.
        reached = any(outcome.status in ("written", "unchanged") for outcome in outcomes)
        removed = self._remove_missing(folder, state, kept_urls(outcomes)) if reached else []
        state.save(state_dir)
        return SyncReport(
            source.name,
            written=tuple(o.url for o in outcomes if o.status == "written"),
            unchanged=sum(1 for o in outcomes if o.status == "unchanged"),
            removed=tuple(removed),
            failed=tuple((o.url, o.reason) for o in outcomes if o.status == "failed"),
            notes=(*notes, *_quota_note(outcomes)),
            requests=fetcher.requests,
            seconds=time.perf_counter() - started,
        )

    def _fetch(
        self, source, folder, state, state_dir, fetcher, progress, allowance
    ) -> tuple[list[Outcome], list[str]]:
        if source.kind == "git":
            clone = state_dir / "repo.git"
            return sync_repository(source, folder, state, clone, self.policy, progress, allowance)
        pages = Pages(source, folder, state, fetcher, progress=progress, allowance=allowance)
        if source.kind == "file":
            return sync_file(pages)
        return sync_website(pages, self.policy.max_pages, self.policy.concurrency)

    @staticmethod
    def _remove_missing(folder: Path, state: SyncState, kept: set[str]) -> list[str]:
        """Delete the articles of pages that are gone or no longer listed."""
        removed = []
        for key in sorted(set(state.pages) - kept):
            remove_article(folder, state.pages.pop(key).file)
            removed.append(key)
        return removed


def _quota_note(outcomes: list[Outcome]) -> list[str]:
    """One line for the pages the collection's quota kept out (each page's own copy, if any, is kept)."""
    held = [outcome for outcome in outcomes if outcome.status == OVER_QUOTA]
    if not held:
        return []
    pages = f"{len(held)} page{'s' if len(held) > 1 else ''}"
    return [
        f"{pages} not written: the server's collection is at its quota of {held[0].reason}; what it had is kept"
    ]
