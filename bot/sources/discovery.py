"""What a website offers to fetch: robots.txt's rules, the sitemap's pages, the prefix a crawl stays under
and the source's globs."""

from __future__ import annotations

import fnmatch
import logging
from pathlib import PurePosixPath
from urllib.parse import urlsplit, urlunsplit

from bot.errors import FetchFailed, SourceRefused, SyncFailed
from bot.sources.fetched import SITEMAP_TYPES, normalise
from bot.sources.http import Fetcher, same_origin
from bot.sources.registry import Source

log = logging.getLogger(__name__)

ROBOTS_AGENT = "qabot-sources"
MAX_CHILD_SITEMAPS = 20
MAX_CRAWL_DELAY = 30.0  # seconds
# RFC 9309 2.5: a crawler may ignore a robots.txt past 500 KiB. Checking a URL costs time per rule:
# 30,000 wildcard rules (500 KiB) take 10 ms a URL, 100,000 (1.9 MB) 44 ms.
MAX_ROBOTS_BYTES = 500 * 1024
# URLs a sync considers (sitemap entries and links found by a crawl), however many a site offers: each
# is checked against robots.txt and the globs, so a sitemap index of 20 sitemaps of 100,000 URLs would
# take minutes before any page is fetched. 20 times the default page limit.
MAX_KNOWN_URLS = 10_000


def site_prefix(start: str) -> str:
    """What a crawl stays under: the start URL's folder (`/docs/` for `/docs/index.html` and `/docs`)."""
    parts = urlsplit(start)
    path = parts.path or "/"
    if not path.endswith("/"):
        last = PurePosixPath(path).name
        path = path[: -len(last)] if "." in last else path + "/"
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))


class Rules:
    """robots.txt, the prefix and the source's globs: which URLs may be fetched and indexed."""

    def __init__(self, source: Source, prefix: str, robots: object | None) -> None:
        self.source = source
        self.prefix = prefix
        self.robots = robots
        self._allowed: dict[str, bool] = {}  # each URL checked once, at most MAX_KNOWN_URLS of them
        self.overflowed = False  # more URLs were offered than are considered

    def relative(self, url: str) -> str:
        return url[len(self.prefix) :]

    def may_fetch(self, url: str) -> bool:
        """Under the prefix and allowed by robots.txt."""
        if not url.startswith(self.prefix):
            return False
        return self.robots is None or bool(self.robots.can_fetch(url, ROBOTS_AGENT))  # type: ignore[attr-defined]

    def allowed(self, url: str) -> bool:
        """May be fetched, and the globs keep it; False for any URL past the first MAX_KNOWN_URLS."""
        known = self._allowed.get(url)
        if known is not None:
            return known
        if len(self._allowed) >= MAX_KNOWN_URLS:
            self.overflowed = True
            return False
        self._allowed[url] = verdict = self._check(url)
        return verdict

    def _check(self, url: str) -> bool:
        if not self.may_fetch(url):
            return False
        relative = self.relative(url)
        if self.source.include and not any(fnmatch.fnmatch(relative, g) for g in self.source.include):
            return False
        return not any(fnmatch.fnmatch(relative, glob) for glob in self.source.exclude)


def load_robots(fetcher: Fetcher, start: str, name: str) -> object | None:
    """The site's robots.txt rules (None: there is none, everything is allowed). A server error means
    the rules are unknown, and RFC 9309 says to fetch nothing then."""
    from protego import Protego

    parts = urlsplit(start)
    url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
    try:
        response = fetcher.get(url, ())
    except FetchFailed as error:
        if error.status is not None and 400 <= error.status < 500:
            return None
        raise SyncFailed(
            name, f"robots.txt could not be read ({error.reason}), so nothing was fetched"
        ) from None
    return Protego.parse(response.body[:MAX_ROBOTS_BYTES].decode("utf-8", "replace"))


def sitemap_urls(fetcher: Fetcher, start: str, prefix: str, robots: object | None) -> list[str] | None:
    """The pages the site's sitemap lists (following a sitemap index one level), None without one."""
    parts = urlsplit(start)
    origin = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    candidates = [str(u) for u in (robots.sitemaps if robots is not None else ())]  # type: ignore[attr-defined]
    candidates = [u for u in candidates if same_origin(u, start)]
    candidates += [prefix + "sitemap.xml", origin + "sitemap.xml"]
    for candidate in dict.fromkeys(candidates):
        try:
            locations, is_index = _sitemap(fetcher, candidate)
        except (FetchFailed, SourceRefused):
            continue
        if is_index:
            children = [u for u in locations if same_origin(u, start)][:MAX_CHILD_SITEMAPS]
            locations = []
            for child in children:  # no more once as many are known as a sync considers
                if len(locations) > MAX_KNOWN_URLS:
                    break
                locations += _child_sitemap(fetcher, child)
        return [url for url in (normalise(u) for u in locations[: MAX_KNOWN_URLS + 1]) if url]
    return None


def _child_sitemap(fetcher: Fetcher, url: str) -> list[str]:
    try:
        return _sitemap(fetcher, url)[0]
    except (FetchFailed, SourceRefused) as error:
        log.warning("skipping sitemap %s: %s", url, error)
        return []


def _sitemap(fetcher: Fetcher, url: str) -> tuple[list[str], bool]:
    from lxml import etree

    response = fetcher.get(url, SITEMAP_TYPES)
    # No entities, no DTDs, no network: a sitemap is someone else's XML.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(response.body, parser)
    except etree.XMLSyntaxError as error:
        raise FetchFailed(url, f"not a sitemap ({error})") from None
    if root is None:
        raise FetchFailed(url, "not a sitemap (empty)")
    locations = [" ".join(element.text.split()) for element in root.iter("{*}loc") if element.text]
    return locations, etree.QName(root).localname == "sitemapindex"
