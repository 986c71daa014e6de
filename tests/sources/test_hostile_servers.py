"""Servers that mean harm: trickling bytes, gzip bombs, XML entity bombs, huge sitemaps, credentials in
URLs. Each fetch ends within its budget with one clear reason; nothing else of the sync is lost."""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.errors import SHOWN_LOCATION_CHARS, FetchFailed, SourceRefused, shown_location
from bot.sources.addresses import address_refusal, resolve
from bot.sources.http import Fetcher
from tests.sources.conftest import TEST_POLICY
from tests.sources.site import sitemap

received: list[bytes] = []  # every request the raw servers were sent
HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"


@contextmanager
def raw_server(answer) -> Iterator[str]:
    """A server on 127.0.0.1 that hands each connection to `answer(connection)`; yields its base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=_answer, args=(answer, connection, stop), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()


def _answer(answer, connection: socket.socket, stop: threading.Event) -> None:
    with connection, contextlib.suppress(OSError):  # the client hangs up, as it should
        received.append(connection.recv(65536))  # the request
        answer(connection, stop)


def trickle(data: bytes, pause: float = 0.1):
    def answer(connection: socket.socket, stop: threading.Event) -> None:
        for byte in data:
            if stop.is_set():
                return
            connection.sendall(bytes([byte]))
            time.sleep(pause)

    return answer


QUICK = dataclasses.replace(TEST_POLICY, page_seconds=1.0)  # the per-read timeout stays 5 s


@pytest.mark.parametrize(
    "answer",
    [
        lambda c, s: (c.sendall(HEADERS), trickle(b"x" * 100_000)(c, s)),  # the body, a byte at a time
        trickle(HEADERS),  # the headers, a byte at a time
    ],
    ids=["body", "headers"],
)
def test_a_server_trickling_bytes_is_abandoned_at_the_time_budget(answer):
    with raw_server(answer) as base:
        started = time.monotonic()
        with pytest.raises(FetchFailed, match="took more than 1 seconds; abandoned") as caught:
            Fetcher(QUICK).get(f"{base}/slow.html", ("text/html",))
        assert time.monotonic() - started < 2.5
    assert "\n" not in str(caught.value)


def test_a_fetch_within_its_budget_keeps_its_connection_for_the_next(site):
    fetcher = Fetcher(QUICK)
    for _ in range(3):
        assert b"Quokka" in fetcher.get(f"{site.base}/docs/install.html", ("text/html",)).body
    time.sleep(1.2)  # past the first fetch's budget: its watchdog was cancelled, the connection is fine
    assert b"Quokka" in fetcher.get(f"{site.base}/docs/install.html", ("text/html",)).body


def test_a_gzip_bomb_is_cut_off_at_the_size_limit_without_inflating_it_all(site):
    bomb = gzip.compress(b"\0" * 50_000_000, 9)  # 50 MB in about 50 KB
    site.pages["/bomb.html"] = ("text/html", bomb)
    original = site.answer

    def with_encoding(path, if_none_match):
        status, headers, body = original(path, if_none_match)
        if path == "/bomb.html":
            headers["Content-Encoding"] = "gzip"
        return status, headers, body

    site.answer = with_encoding
    small = dataclasses.replace(TEST_POLICY, max_page_bytes=1_000_000)
    with pytest.raises(FetchFailed, match="more than 1,000,000 bytes"):
        Fetcher(small).get(f"{site.base}/bomb.html", ("text/html",))


@pytest.mark.parametrize(
    "url",
    [
        "http://user:hunter2@example.com/docs/",
        "https://hunter2@example.com/",
        "http://user:hunter2@example.com@evil.example/",
    ],
)
def test_a_password_in_a_url_is_never_shown_in_the_refusal(service, url):
    with pytest.raises(SourceRefused) as caught:
        service.add("bad", url)
    assert "hunter2" not in str(caught.value)
    assert "***@" in str(caught.value) and "user name or password" in str(caught.value)


def test_locations_are_shown_on_one_line_without_credentials_and_cut():
    assert shown_location("http://u:p@h.example:8080/a?b#c") == "http://***@h.example:8080/a?b#c"
    assert shown_location("http://h.example/a\r\nX-Evil: 1") == "http://h.example/a\\r\\nX-Evil: 1"
    assert len(shown_location("http://h.example/" + "a" * 10_000)) == SHOWN_LOCATION_CHARS + 1
    assert shown_location("Bad Name") == "Bad Name"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://2130706433/", "127.0.0.1 is a loopback address"),  # decimal
        ("http://0x7f000001/", "127.0.0.1 is a loopback address"),  # hexadecimal
        ("http://017700000001/", "127.0.0.1 is a loopback address"),  # octal
        ("http://127.1/", "127.0.0.1 is a loopback address"),  # short form
        ("http://[::ffff:127.0.0.1]/", "127.0.0.1 is a loopback address"),
        ("http://[::ffff:a9fe:a9fe]/", "169.254.169.254 is a link-local"),
        ("http://[2002:a9fe:a9fe::1]/", "embeds 169.254.169.254, and 169.254.169.254 is a link-local"),
        ("http://[2002:7f00:1::1]/", "embeds 127.0.0.1, and 127.0.0.1 is a loopback address"),
        ("http://[2001:0:4136:e378:8000:63bf:5601:5601]/", "embeds 169.254.169.254"),  # Teredo
        ("http://[::7f00:1]/", "reserved"),  # IPv4-compatible (deprecated)
        ("http://[::]/", "reserved"),
        ("http://0/", "reserved"),  # 0.0.0.0
    ],
)
def test_every_spelling_of_a_forbidden_address_is_refused(url, reason):
    with pytest.raises(SourceRefused, match=reason):
        resolve(url, allow_private=False)


def test_6to4_of_link_local_is_refused_even_with_private_addresses_allowed():
    assert "link-local" in address_refusal("2002:a9fe:a9fe::1", allow_private=True)
    assert address_refusal("::ffff:127.0.0.1", allow_private=True) is None  # the tests' own server


def test_a_page_whose_name_is_taken_by_another_pages_folder_fails_alone(site, service):
    # /docs/x.md is a file's name; /docs/x.md/y needs a folder of that name: one of them can't be written.
    site.with_sitemap = False
    paths = ["/docs/install.html", "/docs/x.md", "/docs/x.md/y.html"]
    site.pages["/docs/sitemap.xml"] = ("application/xml", sitemap(site.port, paths))
    site.pages["/docs/x.md"] = ("text/markdown", b"# X\n\nWombats are marsupials that dig burrows.\n")
    site.pages["/docs/x.md/y.html"] = site.pages["/docs/install.html"]
    service.add("quokka", f"{site.base}/docs/")
    report = service.sync()[0]
    assert report.error is None
    assert f"{site.base}/docs/install.html" in report.written
    assert len(report.failed) == 1 and "\n" not in report.failed[0][1]
    assert len(report.written) == 2


def test_a_repository_file_whose_name_is_taken_by_a_folder_fails_alone(repository, service):
    from tests.sources.conftest import git

    (repository / "docs" / "Guide.md").write_text("# Guide\n\nWombats sleep in burrows by day.\n")
    (repository / "docs" / "guide.md").mkdir()
    (repository / "docs" / "guide.md" / "more.md").write_text("# More\n\nWombats eat grass at night.\n")
    git(repository, "add", "-A")
    git(repository, "commit", "--quiet", "-m", "a file and a folder that become one name")
    service.add("wombat", str(repository), kind="git", folder="docs", local_allowed=True)
    report = service.sync()[0]
    assert report.error is None
    assert len(report.failed) == 1 and "can't write it" in report.failed[0][1]
    assert "docs/install.md" in report.written


def serve_sitemap(site, doctype: str, locs: list[str]) -> None:
    site.with_sitemap = False
    urls = "".join(f"<url><loc>{site.base}/docs/{loc}</loc></url>" for loc in locs)
    site.pages["/docs/sitemap.xml"] = (
        "application/xml",
        f'<?xml version="1.0"?>{doctype}<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{urls}</urlset>".encode(),
    )


def test_a_sitemaps_external_entity_is_never_read(site):
    from bot.sources.discovery import sitemap_urls

    serve_sitemap(
        site, '<!DOCTYPE urlset [<!ENTITY file SYSTEM "file:///etc/passwd">]>', ["&file;", "install.html"]
    )
    found = sitemap_urls(Fetcher(TEST_POLICY), f"{site.base}/docs/", f"{site.base}/docs/", None)
    assert f"{site.base}/docs/install.html" in found
    assert not any("root:" in url for url in found)


def test_a_sitemap_entity_bomb_is_refused_at_once(site):
    from bot.sources.discovery import _sitemap

    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))  # 10^9 "lol"s
    serve_sitemap(site, f'<!DOCTYPE urlset [<!ENTITY l0 "lol">{laughs}]>', ["&l9;", "install.html"])
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="not a sitemap") as caught:
        _sitemap(Fetcher(TEST_POLICY), f"{site.base}/docs/sitemap.xml")
    assert time.monotonic() - started < 1.0 and "\n" not in str(caught.value)


def test_a_sitemap_of_50000_urls_is_considered_up_to_the_bound(site, tmp_path):
    from bot.sources.discovery import MAX_KNOWN_URLS
    from bot.sources.service import SourceService

    site.with_sitemap = False
    paths = ["/docs/install.html"] + [f"/docs/p{n}.html" for n in range(50_000)]
    site.pages["/docs/sitemap.xml"] = ("application/xml", sitemap(site.port, paths))
    (tmp_path / "kb").mkdir()
    few = dataclasses.replace(TEST_POLICY, max_pages=3)
    service = SourceService(tmp_path / "sources", tmp_path / "kb", few)
    service.add("quokka", f"{site.base}/docs/")
    started = time.monotonic()
    report = service.sync()[0]
    assert time.monotonic() - started < 10.0
    assert f"{site.base}/docs/install.html" in report.written
    assert (
        f"the site offers more than {MAX_KNOWN_URLS:,} URLs; only the first were considered" in report.notes
    )


def test_robots_txt_is_read_up_to_500_kib(site):
    from bot.sources.discovery import load_robots

    filler = "".join(f"Disallow: /x{n}/*y\n" for n in range(100_000))  # 1.9 MB of wildcard rules
    site.pages["/robots.txt"] = ("text/plain", f"User-agent: *\n{filler}Disallow: /docs/late/\n".encode())
    started = time.monotonic()
    robots = load_robots(Fetcher(TEST_POLICY), f"{site.base}/docs/", "quokka")
    assert robots.can_fetch(f"{site.base}/docs/late/page.html", "qabot-sources")  # past 500 KiB: ignored
    assert not robots.can_fetch(f"{site.base}/x5/zy", "qabot-sources")
    assert time.monotonic() - started < 3.0


def test_a_start_page_of_too_many_elements_offers_no_links_and_costs_no_parse():
    from bot.sources.fetched import page_links
    from bot.sources.http import Response

    body = b"<html><body>" + b'<a href="/docs/p.html">p</a>' * 30_000 + b"</body></html>"
    started = time.monotonic()
    assert page_links(Response("http://h.example/docs/", 200, body, "text/html")) == []
    assert time.monotonic() - started < 0.5


def test_a_redirect_to_an_invalid_location_fails_that_fetch_in_one_line(service):
    def answer(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n")

    with raw_server(answer) as base:
        with pytest.raises(FetchFailed, match="HTTP 302 to an invalid Location"):
            Fetcher(TEST_POLICY).get(f"{base}/docs/", ("text/html",))
        service.add("quokka", f"{base}/docs/")
        report = service.sync()[0]  # robots.txt answers the same: was a ValueError ending every sync
    assert "robots.txt could not be read (HTTP 302 to an invalid Location)" in report.error


def test_an_internationalised_host_is_sent_as_its_ascii_name(monkeypatch):
    import bot.sources.addresses

    real = socket.getaddrinfo
    asked = []

    def local_dns(host, port, *args, **kwargs):  # the one stand-in: no IDN name resolves here
        asked.append(host)
        return real("127.0.0.1", port, *args, **kwargs)

    def answer(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhi")

    monkeypatch.setattr(bot.sources.addresses.socket, "getaddrinfo", local_dns)
    with raw_server(answer) as base:
        port = base.rsplit(":", 1)[1]
        received.clear()
        body = Fetcher(TEST_POLICY).get(f"http://пример.рф:{port}/docs/", ("text/html",)).body
    assert body == b"hi" and asked[0] == "xn--e1afmkfd.xn--p1ai"
    assert f"Host: xn--e1afmkfd.xn--p1ai:{port}\r\n".encode() in received[0]


def test_a_url_with_a_control_character_fails_that_fetch_in_one_line(site):
    # Already safe: urllib3 percent-encodes it (and BeautifulSoup drops &#1; from links).
    with pytest.raises(FetchFailed) as caught:
        Fetcher(TEST_POLICY).get(f"{site.base}/docs/a\x01b.html", ("text/html",))
    assert "\x01" not in str(caught.value)


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(200)) + b"\r\nhi",
        b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70_000 + b"\r\n\r\nhi",
        b"\x00\x01\x02garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: br, gzip, deflate, gzip, gzip, gzip, gzip"
        b"\r\nContent-Length: 5\r\n\r\nhello",
    ],
    ids=["200-headers", "long-header", "garbage", "bad-chunks", "broken-gzip", "seven-encodings"],
)
def test_a_hostile_http_answer_fails_that_fetch_in_one_line(raw):
    # Already safe: each is a FetchFailed with urllib3's reason.
    with (
        raw_server(lambda connection, stop: connection.sendall(raw)) as base,
        pytest.raises(FetchFailed) as caught,
    ):
        Fetcher(TEST_POLICY).get(f"{base}/p.html", ("text/html",))
    assert "\n" not in str(caught.value) and len(caught.value.reason) <= 200
