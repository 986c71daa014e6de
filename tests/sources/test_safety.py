"""What sources may not reach or write: each refusal happens before any connection or file is made.

No test here sends a packet to a private or link-local address: the address is checked, and refused,
before connecting. The only server contacted is the tests' own on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses

import pytest

from bot.errors import FetchFailed, SourceRefused
from bot.sources.addresses import address_refusal, resolve
from bot.sources.http import Fetcher
from bot.sources.pages import article_name, write_article
from bot.sources.policy import FetchPolicy
from tests.sources.conftest import TEST_POLICY

STRICT = FetchPolicy(request_interval=0.0, timeout=5.0)  # the default: private addresses refused


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9/docs/", "127.0.0.1 is a loopback address"),
        ("http://localhost/", "is a loopback address"),
        ("http://10.1.2.3/", "10.1.2.3 is a private address"),
        ("http://192.168.0.10/", "is a private address"),
        ("http://[::ffff:10.0.0.1]/", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://0.0.0.0/", "reserved"),
    ],
)
def test_private_and_special_addresses_are_refused_by_default(url, reason):
    with pytest.raises(SourceRefused, match=reason):
        resolve(url, allow_private=False)


def test_allowing_private_addresses_never_allows_link_local():
    assert address_refusal("10.0.0.1", allow_private=True) is None
    assert address_refusal("127.0.0.1", allow_private=True) is None
    assert "link-local" in address_refusal("169.254.169.254", allow_private=True)
    assert "link-local" in address_refusal("fe80::1", allow_private=True)


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("file:///etc/passwd", "only http and https"),
        ("ftp://example.com/docs/", "only http and https"),
        ("gopher://example.com/", "only http and https"),
        ("http://user:secret@example.com/", "user name or password"),
        ("http:///nohost", "no host"),
        ("http://example.com:99999/", "not a valid URL"),
    ],
)
def test_other_schemes_and_odd_urls_are_refused(service, location, reason):
    with pytest.raises(SourceRefused, match=reason):
        service.add("bad", location)
    assert service.all_sources() == []


def test_a_site_on_a_private_address_is_refused_without_the_setting(site, tmp_path):
    from bot.sources.service import SourceService

    (tmp_path / "knowledge").mkdir()
    strict = SourceService(tmp_path / "sources", tmp_path / "knowledge", STRICT)
    strict.add("quokka", f"{site.base}/docs/")  # the URL is fine; where it leads is checked when fetched
    report = strict.sync()[0]
    assert "127.0.0.1 is a loopback address" in report.error
    assert sum(site.requests.values()) == 0


def test_a_redirect_to_a_link_local_address_is_refused_hop_by_hop(site):
    site.redirects["/docs/metadata"] = "http://169.254.169.254/latest/meta-data/iam"
    with pytest.raises(SourceRefused, match="169.254.169.254 is a link-local"):
        Fetcher(TEST_POLICY).get(f"{site.base}/docs/metadata", ())
    assert site.requests["/docs/metadata"] == 1


def test_a_redirect_to_another_scheme_is_refused(site):
    site.redirects["/docs/file"] = "file:///etc/passwd"
    with pytest.raises(SourceRefused, match="only http and https"):
        Fetcher(TEST_POLICY).get(f"{site.base}/docs/file", ())


def test_redirect_loops_end(site):
    site.redirects["/a"] = "/b"
    site.redirects["/b"] = "/a"
    with pytest.raises(FetchFailed, match="more than 5 redirects"):
        Fetcher(TEST_POLICY).get(f"{site.base}/a", ())


def test_a_response_over_the_size_limit_is_cut_off(site):
    site.pages["/big.html"] = ("text/html", b"<p>" + b"x" * 200_000 + b"</p>")
    small = dataclasses.replace(TEST_POLICY, max_page_bytes=50_000)
    with pytest.raises(FetchFailed, match="the limit is 50,000"):
        Fetcher(small).get(f"{site.base}/big.html", ("text/html",))


def test_a_content_type_qabot_cannot_read_is_refused(site):
    site.pages["/docs/app.js"] = ("application/javascript", b"alert(1)")
    with pytest.raises(FetchFailed, match="content type application/javascript"):
        Fetcher(TEST_POLICY).get(f"{site.base}/docs/app.js", ("text/html",))


@pytest.mark.parametrize(
    ("relative", "name"),
    [
        ("../../../etc/passwd", "etc/passwd.md"),
        ("/abs/path.html", "abs/path.md"),
        ("..", "index.md"),
        (".hidden/_draft.html", "hidden/draft.md"),
        ("a/b/", "a/b/index.md"),
        ("Ünïcode Name?.HTML", "unicode-name.md"),
        ("x" * 500 + ".html", "x" * 80 + ".md"),
        ("/".join("d" * 20 for _ in range(30)), "/".join("d" * 20 for _ in range(8)) + ".md"),
    ],
)
def test_page_paths_become_safe_names_inside_the_source_folder(relative, name):
    assert article_name(relative) == name


def test_an_article_is_never_written_through_a_planted_link(tmp_path):
    folder = tmp_path / "knowledge" / "sources" / "quokka"
    folder.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "guide").symlink_to(outside)
    with pytest.raises(SourceRefused, match="outside"):
        write_article(folder, "guide/install.md", "text")
    assert list(outside.iterdir()) == []
    with pytest.raises(SourceRefused, match="safe article name"):
        write_article(folder, "../escape.md", "text")


def test_robots_txt_unreachable_means_nothing_is_fetched(site, service):
    site.failing["/robots.txt"] = 503
    service.add("quokka", f"{site.base}/docs/")
    report = service.sync()[0]
    assert report.error.startswith("robots.txt could not be read (HTTP 503)")
    assert set(site.requests) == {"/robots.txt"}


def test_a_damaged_source_list_is_one_clear_error(service):
    service.sources_dir.mkdir(parents=True)
    (service.sources_dir / "sources.json").write_text('{"sources": [{"name": 5}]}')
    with pytest.raises(SourceRefused, match="the source list is damaged"):
        service.all_sources()


def test_two_syncs_at_once_are_refused_in_one_line(site, service):
    from bot.core.files import file_lock
    from bot.errors import SyncBusy
    from bot.sources.service import LOCK_FILE

    service.add("quokka", f"{site.base}/docs/")
    with (
        file_lock(service.sources_dir / LOCK_FILE, wait=False),
        pytest.raises(SyncBusy, match="another sync"),
    ):
        service.sync()
    assert sum(site.requests.values()) == 0
