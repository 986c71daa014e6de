"""The one HTTP client of the sources: checked addresses, redirects re-checked, bounded responses, a
polite pace, conditional requests.

urllib3 connects to the address addresses.py checked while sending the host name for Host, TLS SNI and
certificate checks. Redirects are not followed by the library: each hop is resolved and checked again.
A body is read in pieces and abandoned past the size limit, and its content type must be one the caller
can read. A whole fetch, redirects and body included, has a time budget (FetchPolicy.page_seconds): the
per-read timeout alone lets a server sending a byte a second hold a sync for days. The fetcher counts its
requests, which the sync report and the tests use.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import socket
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.errors import FetchFailed
from bot.sources.addresses import Target, resolve
from bot.sources.policy import FetchPolicy

log = logging.getLogger(__name__)

REDIRECTS = (301, 302, 303, 307, 308)
CHUNK = 64 * 1024
_running = threading.local()  # the Watchdog of the fetch this thread is making


class Watchdog:
    """Shuts the socket of a fetch that outlives its budget, so the blocked read returns at once; the
    fetch then fails with "took more than N seconds". Armed when a response is awaited (each hop of
    a redirect, on a new or a reused connection), from the first hop's start."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._deadline: float | None = None
        self._timer: threading.Timer | None = None

    def watch(self, sock: socket.socket) -> None:
        self.cancel()
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self.seconds
        self._timer = threading.Timer(max(0.0, self._deadline - now), self._expire, (sock,))
        self._timer.daemon = True
        self._timer.start()

    def _expire(self, sock: socket.socket) -> None:
        self.expired = True
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


@functools.cache
def _watched_connections() -> tuple[type, type]:
    """urllib3's HTTP and HTTPS connections, arming the running fetch's Watchdog on their socket."""
    import urllib3.connection

    def watched(base: type) -> type:
        class Watched(base):
            def getresponse(self):
                watchdog = getattr(_running, "watchdog", None)
                if watchdog is not None and self.sock is not None:
                    watchdog.watch(self.sock)
                return super().getresponse()

        Watched.__name__ = Watched.__qualname__ = base.__name__  # as urllib3's messages name it
        return Watched

    return watched(urllib3.connection.HTTPConnection), watched(urllib3.connection.HTTPSConnection)


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int  # 200, or 304 when the copy we have is current (body empty)
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetcher:
    """GETs for one sync; thread-safe, so pages can be fetched a few at a time."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy
        self.requests = 0
        self.interval = policy.request_interval  # raised to a site's robots.txt Crawl-delay
        self._pools: dict[tuple[str, str, int, str], Any] = {}  # urllib3 pools, imported lazily
        self._lock = threading.Lock()
        self._next_slot = 0.0

    def get(
        self,
        url: str,
        accept: Collection[str],
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response:
        """The body of `url` (following up to max_redirects redirects, each checked), or 304 when the
        validators match. Raises FetchFailed (HTTP error, wrong type, too big, too slow) or SourceRefused."""
        watchdog = Watchdog(self.policy.page_seconds)
        _running.watchdog = watchdog
        try:
            response = self._follow(url, accept, etag, last_modified)
        except FetchFailed:
            if not watchdog.expired:
                raise
            response = None
        finally:
            watchdog.cancel()
            _running.watchdog = None
        if watchdog.expired or response is None:  # a body cut short by the watchdog may look complete
            raise FetchFailed(url, f"took more than {self.policy.page_seconds:g} seconds; abandoned")
        return response

    def _follow(
        self, url: str, accept: Collection[str], etag: str | None, last_modified: str | None
    ) -> Response:
        for _ in range(self.policy.max_redirects + 1):
            target = resolve(url, self.policy.allow_private)
            response = self._request(target, url, etag, last_modified)
            try:
                if response.status in REDIRECTS:
                    location = response.headers.get("Location")
                    if not location:
                        raise FetchFailed(url, f"HTTP {response.status} without a Location")
                    try:
                        url = urljoin(url, location)
                    except ValueError:  # `http://[::1`: urljoin raises rather than returning nonsense
                        raise FetchFailed(url, f"HTTP {response.status} to an invalid Location") from None
                    continue
                if response.status == 304 and (etag or last_modified):
                    return Response(url, 304, etag=etag, last_modified=last_modified)
                if response.status != 200:
                    raise FetchFailed(url, f"HTTP {response.status}", response.status)
                content_type = _media_type(response.headers.get("Content-Type", ""))
                if accept and content_type not in accept:
                    raise FetchFailed(url, f"content type {content_type or 'missing'} is not one qabot reads")
                return Response(
                    url,
                    200,
                    self._read(response, url),
                    content_type,
                    response.headers.get("ETag"),
                    response.headers.get("Last-Modified"),
                )
            finally:
                response.release_conn()
        raise FetchFailed(url, f"more than {self.policy.max_redirects} redirects")

    def _request(self, target: Target, url: str, etag: str | None, last_modified: str | None):
        import urllib3

        headers = {"Host": _host_header(target), "User-Agent": self.policy.user_agent, "Accept": "*/*"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self._wait_turn()
        try:
            return self._pool(target).urlopen(
                "GET",
                target.path,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                timeout=urllib3.Timeout(connect=self.policy.timeout, read=self.policy.timeout),
            )
        except urllib3.exceptions.HTTPError as error:
            raise FetchFailed(url, _network_reason(error)) from None

    def _pool(self, target: Target):
        import certifi
        import urllib3

        key = (target.scheme, target.host, target.port, target.address)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                if target.scheme == "https":
                    pool = urllib3.HTTPSConnectionPool(
                        target.address,
                        target.port,
                        maxsize=self.policy.concurrency,
                        server_hostname=target.host,
                        assert_hostname=target.host,
                        cert_reqs="CERT_REQUIRED",
                        ca_certs=self.policy.ca_bundle or certifi.where(),
                    )
                else:
                    pool = urllib3.HTTPConnectionPool(
                        target.address, target.port, maxsize=self.policy.concurrency
                    )
                plain, tls = _watched_connections()
                pool.ConnectionCls = tls if target.scheme == "https" else plain
                self._pools[key] = pool
            self.requests += 1
            return pool

    def _wait_turn(self) -> None:
        """Space requests `request_interval` apart, whichever thread sends them."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
        if slot > now:
            time.sleep(slot - now)

    def _read(self, response, url: str) -> bytes:
        import urllib3

        limit = self.policy.max_page_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FetchFailed(
                url, f"{int(declared):,} bytes; the limit is {limit:,} (QABOT_SOURCES_MAX_PAGE_BYTES)"
            )
        pieces: list[bytes] = []
        size = 0
        try:
            for piece in response.stream(CHUNK):
                size += len(piece)
                if size > limit:  # a missing or lying Content-Length: stop reading, don't buffer the rest
                    raise FetchFailed(url, f"more than {limit:,} bytes (QABOT_SOURCES_MAX_PAGE_BYTES)")
                pieces.append(piece)
        except (OSError, urllib3.exceptions.HTTPError) as error:
            raise FetchFailed(url, _network_reason(error)) from None
        return b"".join(pieces)

    def close(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()


def _media_type(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def _network_reason(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error
    return " ".join(str(reason).split())[:200] or type(error).__name__


def same_origin(first: str, second: str) -> bool:
    a, b = urlsplit(first), urlsplit(second)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
