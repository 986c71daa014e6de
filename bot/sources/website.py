"""Websites and file URLs: each page fetched, converted and written; a site's pages taken from its sitemap
or found by a crawl under its prefix (discovery.py says which may be fetched), up to a page limit.

Pages are fetched a few at a time (FetchPolicy.concurrency), spaced by the fetcher. A page the server
says is unchanged (ETag / Last-Modified) is not downloaded again; one that fails keeps its last good
copy; one that is gone (404, 410) or no longer listed is removed.
"""

from __future__ import annotations

import logging
import stat
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from bot.core.quota import Allowance
from bot.errors import FetchFailed, InvalidArticle, QuotaExceeded, SourceRefused, shown_location
from bot.sources.discovery import (
    MAX_CRAWL_DELAY,
    MAX_KNOWN_URLS,
    ROBOTS_AGENT,
    Rules,
    load_robots,
    site_prefix,
    sitemap_urls,
)
from bot.sources.fetched import (
    FILE_TYPES,
    PAGE_TYPES,
    normalise,
    page_links,
    response_document,
)
from bot.sources.http import Fetcher, Response
from bot.sources.pages import article_name, article_text, unique_name, write_article
from bot.sources.registry import Source
from bot.sources.state import PageState, SyncState

log = logging.getLogger(__name__)

GONE = (404, 410)
# A page the collection's quota kept out: not written, its last copy (if any) kept, tried again next sync.
OVER_QUOTA = "over quota"

# progress(done, total): pages handled so far, of those known so far.
PageProgress = Callable[[int, int], None]


@dataclass
class Outcome:
    url: str
    # "written", "unchanged", "failed" (last good copy kept), "gone" (removed), "skipped" (links only),
    # OVER_QUOTA (not written, last copy kept)
    status: str
    reason: str = ""
    links: list[str] = field(default_factory=list)


@dataclass
class Pages:
    """One sync's page handling: fetch, convert, write, remember. Thread-safe."""

    source: Source
    folder: Path
    state: SyncState
    fetcher: Fetcher
    accept: frozenset[str] = PAGE_TYPES
    progress: PageProgress | None = None
    # A site's rules: where a redirect may lead (under its prefix) and a page's path below it. None
    # for a file URL, which may be redirected anywhere an address check allows (a raw-file host).
    rules: Rules | None = None
    allowance: Allowance | None = None  # a server collection's quota; None: no limit
    done: int = 0
    known: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._taken = self.state.taken_files()
        self._claimed: set[str] = set()  # pages handled in this sync, by their final URL

    def _claim(self, url: str) -> bool:
        """True for the first fetch that reaches `url` (directly or by a redirect) in this sync."""
        with self._lock:
            first = url not in self._claimed
            self._claimed.add(url)
            return first

    def fetch(self, url: str, relative: str, keep: bool = True) -> Outcome:
        """Fetch, convert and write one page; `keep` False only reads its links (a crawl's start page
        that the globs leave out)."""
        try:
            return self._fetch(url, relative) if keep else self._links_only(url)
        except Exception as error:
            # The pages' batch boundary: whatever one hostile page does, the others are still synced.
            log.exception("unexpected error on %s", shown_location(url))
            return Outcome(url, "failed", f"unexpected error ({type(error).__name__}: {str(error)[:120]})")
        finally:
            with self._lock:
                self.done += 1
                if self.progress:
                    self.progress(self.done, max(self.known, self.done))

    def _links_only(self, url: str) -> Outcome:
        try:
            return Outcome(url, "skipped", links=page_links(self.fetcher.get(url, self.accept)))
        except (FetchFailed, SourceRefused) as error:
            return Outcome(url, "failed", error.reason)

    def _fetch(self, url: str, relative: str) -> Outcome:
        # A page that redirected last time is asked for with the validators of the page it led to, so
        # an unchanged target answers 304 through the redirect too.
        previous = self.state.pages.get(self.state.redirects.get(url, url))
        try:
            response = self.fetcher.get(
                url,
                self.accept,
                previous.etag if previous else None,
                previous.last_modified if previous else None,
            )
        except FetchFailed as error:
            if error.status in GONE:
                return Outcome(url, "gone", error.reason)
            # Its last links keep a crawl going: a start page down for a moment must not make every
            # page behind it look gone.
            return Outcome(url, "failed", error.reason, previous.links if previous else [])
        except SourceRefused as error:
            return Outcome(url, "failed", error.reason)
        final = normalise(response.url) or url
        if final != url:  # a redirect: the page is kept once, under the address it lives at
            if self.rules is not None and not self.rules.allowed(final):
                return Outcome(url, "failed", f"redirected to {final}, outside the source")
            with self._lock:
                self.state.redirects[url] = final
            relative = self.rules.relative(final) if self.rules else PurePosixPath(urlsplit(final).path).name
            url, previous = final, self.state.pages.get(final)
        elif url in self.state.redirects:  # it redirected once and no longer does: a page of its own now
            with self._lock:
                del self.state.redirects[url]
            previous = self.state.pages.get(url)
        if not self._claim(url):  # reached already in this sync, directly or by another redirect
            return Outcome(url, "skipped")
        if response.not_modified and previous is not None:
            return Outcome(url, "unchanged", links=previous.links)
        return self._write(url, relative, previous, response)

    def _write(self, url: str, relative: str, previous: PageState | None, response: Response) -> Outcome:
        try:
            document = response_document(response)
        except InvalidArticle as error:
            return Outcome(url, "failed", error.reason)
        links = page_links(response)
        with self._lock:
            name = previous.file if previous else unique_name(article_name(relative), url, self._taken)
            self._taken.add(name)
        text = article_text(document, url, self.source.name)
        try:
            changed = write_if_changed(self.folder, name, text, self.allowance)
        except SourceRefused as error:
            return Outcome(url, "failed", error.reason)
        except QuotaExceeded as error:  # its links still lead the crawl to pages kept or unchanged
            return Outcome(url, OVER_QUOTA, error.limit_text, links=links)
        with self._lock:
            self.state.pages[url] = PageState(name, response.etag, response.last_modified, links)
        return Outcome(url, "written" if changed else "unchanged", links=links)


def write_if_changed(folder: Path, name: str, text: str, allowance: Allowance | None = None) -> bool:
    """Write the article unless the file already holds exactly this text (a server without validators
    sends the same page again: rewriting it would be harmless, but the report should say unchanged).
    With an `allowance`, QuotaExceeded instead of a write that would pass the collection's quota."""
    path = folder / name
    try:
        if path.is_file() and not path.is_symlink() and path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    if allowance is not None:
        allowance.take(_plain_file_size(path), len(text.encode("utf-8")))
    try:
        write_article(folder, name, text)
    except OSError as error:  # e.g. `x.md` wanted as a file by one page and as a folder by another
        raise SourceRefused(name, f"can't write it ({error.strerror or error})") from None
    return True


def _plain_file_size(path: Path) -> int | None:
    """The size of the regular file at `path`, None when there is none (a link is never counted)."""
    try:
        info = path.lstat()
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def sync_website(pages: Pages, max_pages: int, concurrency: int) -> tuple[list[Outcome], list[str]]:
    """Fetch the site's pages; returns every page's outcome and notes (a limit reached)."""
    start = normalise(pages.source.location) or pages.source.location
    prefix = site_prefix(start)
    robots = load_robots(pages.fetcher, start, pages.source.name)
    if robots is not None:
        delay = robots.crawl_delay(ROBOTS_AGENT)  # type: ignore[attr-defined]
        if delay:  # the site's own pace, when slower than ours (bounded: a day-long delay would never end)
            pages.fetcher.interval = max(pages.fetcher.interval, min(float(delay), MAX_CRAWL_DELAY))
    rules = Rules(pages.source, prefix, robots)
    pages.rules = rules
    listed = sitemap_urls(pages.fetcher, start, prefix, robots)
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        if listed is not None:
            wanted = [url for url in dict.fromkeys(listed) if rules.allowed(url)]
            pages.known = min(len(wanted), max_pages)
            outcomes = list(pool.map(lambda url: pages.fetch(url, rules.relative(url)), wanted[:max_pages]))
            notes = [_limit_note(max_pages)] if len(wanted) > max_pages else []
        else:
            outcomes, notes = crawl(pages, rules, start, pool, max_pages)
    if rules.overflowed or (listed is not None and len(listed) > MAX_KNOWN_URLS):
        notes.append(f"the site offers more than {MAX_KNOWN_URLS:,} URLs; only the first were considered")
    return outcomes, notes


def crawl(
    pages: Pages, rules: Rules, start: str, pool: ThreadPoolExecutor, max_pages: int
) -> tuple[list[Outcome], list[str]]:
    """Breadth first from `start`, following links that stay under the prefix and are allowed."""
    if not rules.may_fetch(start):
        return [], [f"robots.txt forbids {start}; nothing was fetched"]
    seen = {start}
    frontier = [start]
    outcomes: list[Outcome] = []

    def visit(url: str) -> Outcome:
        # The start page is read for its links even when the globs leave it out of the index.
        return pages.fetch(url, rules.relative(url), keep=rules.allowed(url))

    while frontier and len(outcomes) < max_pages:
        batch, frontier = frontier[: max_pages - len(outcomes)], frontier[max_pages - len(outcomes) :]
        pages.known += len(batch)
        for outcome in pool.map(visit, batch):
            outcomes.append(outcome)
            for link in outcome.links:
                if link not in seen and rules.allowed(link):
                    seen.add(link)
                    frontier.append(link)
    return outcomes, [_limit_note(max_pages)] if frontier else []


def _limit_note(max_pages: int) -> str:
    return f"stopped at {max_pages} pages (QABOT_SOURCES_MAX_PAGES); the rest were not fetched"


def sync_file(pages: Pages) -> tuple[list[Outcome], list[str]]:
    """A single file URL: one page, named after the file."""
    url = pages.source.location
    pages.accept = FILE_TYPES
    pages.known = 1
    return [pages.fetch(url, PurePosixPath(urlsplit(url).path).name)], []


def kept_urls(outcomes: Iterable[Outcome]) -> set[str]:
    """The pages whose articles stay: fetched now, unchanged, or failed or kept out by the quota (their
    last good copy)."""
    kept = ("written", "unchanged", "failed", OVER_QUOTA)
    return {outcome.url for outcome in outcomes if outcome.status in kept}
