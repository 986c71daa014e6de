"""A documentation site synced from a real HTTP server on 127.0.0.1, indexed with real FAISS (the fake
model: the one thing replaced; tests/sources/test_sources_end_to_end.py asks with the real one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.files import file_lock
from bot.core.indexer import LOCK_FILE, build_index
from bot.core.store import current_generation, load_index
from bot.errors import IndexBusy
from tests.fakes import HashingEmbedder
from tests.sources.site import CHROME_WORDS, TRAINING_EDITED


def reindexer(service, index_dir: Path):
    embedder = HashingEmbedder()
    return lambda: build_index(service.knowledge_dir, index_dir, embedder)


def passages(index_dir: Path):
    store = load_index(index_dir)
    try:
        return store.all_passages()
    finally:
        store.close()


def test_site_is_synced_from_its_sitemap_without_chrome_or_forbidden_pages(site, service, tmp_path):
    service.add("quokka", f"{site.base}/docs/")
    result = service.sync_and_reindex(reindexer(service, tmp_path / "index"))
    report = result.reports[0]
    folder = service.knowledge_dir / "sources" / "quokka"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.md")) == [
        "index.md",
        "install.md",
        "training.md",
    ]
    assert site.requests["/docs/private/secrets.html"] == 0  # robots.txt forbids it: never requested
    assert [where for where, _ in report.failed] == [f"{site.base}/docs/broken.html"]
    assert report.failed[0][1] == "HTTP 500"
    found = passages(tmp_path / "index")
    text = " ".join(p.text + " " + p.section + " " + p.title for p in found)
    assert not [word for word in CHROME_WORDS if word in text]
    assert "Forbiddenword" not in text
    assert "pip install quokka[cuda]" in text


def test_citations_carry_the_sections_anchor(site, service, tmp_path):
    service.add("quokka", f"{site.base}/docs/")
    service.sync_and_reindex(reindexer(service, tmp_path / "index"))
    # The title is the page's <h1>: its <title> only adds the site's name ("Installing Quokka - Quokka docs").
    urls = {p.section: p.url for p in passages(tmp_path / "index") if p.title == "Installing Quokka"}
    assert urls["GPU support"] == f"{site.base}/docs/install.html#gpu-support"
    assert urls["Verifying the installation"] == f"{site.base}/docs/install.html#verifying"
    assert urls[""] == f"{site.base}/docs/install.html#installing-quokka"


def test_second_sync_fetches_and_reembeds_only_the_changed_page(site, service, tmp_path):
    service.add("quokka", f"{site.base}/docs/")
    index_dir = tmp_path / "index"
    first = service.sync_and_reindex(reindexer(service, index_dir))
    assert first.build is not None and first.build.embedded > 0
    site.pages["/docs/training.html"] = ("text/html", TRAINING_EDITED)
    site.requests.clear()
    site.bodies.clear()
    second = service.sync_and_reindex(reindexer(service, index_dir))
    report = second.reports[0]
    assert report.written == (f"{site.base}/docs/training.html",)
    assert report.unchanged == 2 and not report.removed
    assert second.build is not None and second.build.changed == ("sources/quokka/training.md",)
    assert second.build.added == () and second.build.removed == ()
    # Only the edited section's texts (the passage, its views and the new sentence) were embedded.
    assert 0 < second.build.embedded <= 4
    # Every page was asked for again with its ETag; only the changed one came with a body (and
    # robots.txt, read on every sync like the sitemap, which the server does not count).
    assert set(site.bodies) == {"/robots.txt", "/docs/training.html"}
    assert site.bodies["/docs/training.html"] == 1
    assert report.requests == sum(site.requests.values())


def test_unchanged_site_leaves_the_index_alone(site, service, tmp_path):
    service.add("quokka", f"{site.base}/docs/")
    service.sync_and_reindex(reindexer(service, tmp_path / "index"))
    again = service.sync_and_reindex(reindexer(service, tmp_path / "index"))
    assert again.reports[0].written == () and again.build is None


def test_failed_page_keeps_its_last_good_copy(site, service, tmp_path):
    service.add("quokka", f"{site.base}/docs/")
    service.sync_and_reindex(reindexer(service, tmp_path / "index"))
    site.failing["/docs/install.html"] = 503
    result = service.sync_and_reindex(reindexer(service, tmp_path / "index"))
    assert (f"{site.base}/docs/install.html", "HTTP 503") in result.reports[0].failed
    assert "quokka[cuda]" in (service.knowledge_dir / "sources/quokka/install.md").read_text()
    assert result.build is None  # nothing else changed, so the index was not rebuilt


def test_page_gone_from_the_site_is_removed(site, service, tmp_path):
    service.add("quokka", f"{site.base}/docs/")
    service.sync_and_reindex(reindexer(service, tmp_path / "index"))
    del site.pages["/docs/training.html"]
    result = service.sync_and_reindex(reindexer(service, tmp_path / "index"))
    assert result.reports[0].removed == (f"{site.base}/docs/training.html",)
    assert not (service.knowledge_dir / "sources/quokka/training.md").exists()
    assert result.build is not None and result.build.removed == ("sources/quokka/training.md",)


def test_without_a_sitemap_the_site_is_crawled_under_its_prefix(site, service, tmp_path):
    site.with_sitemap = False
    site.pages["/elsewhere.html"] = ("text/html", b"<html><body><p>outside the prefix</p></body></html>")
    service.add("quokka", f"{site.base}/docs/")
    report = service.sync()[0]
    folder = service.knowledge_dir / "sources" / "quokka"
    # old-install redirects to install.html: same page, fetched under both names, so one article each.
    assert {p.name for p in folder.rglob("*.md")} >= {"index.md", "install.md", "training.md"}
    assert site.requests["/docs/private/secrets.html"] == 0 and site.requests["/elsewhere.html"] == 0
    assert report.failed == ((f"{site.base}/docs/broken.html", "HTTP 500"),)


def test_page_limit_stops_the_sync_and_says_so(site, service, tmp_path):
    service.policy = type(service.policy)(**{**service.policy.__dict__, "max_pages": 2})
    service.add("quokka", f"{site.base}/docs/")
    report = service.sync()[0]
    assert len(report.written) + len(report.failed) == 2
    assert report.notes and "QABOT_SOURCES_MAX_PAGES" in report.notes[0]


def test_include_and_exclude_globs_choose_pages(site, service):
    service.add("quokka", f"{site.base}/docs/", include=("*.html",), exclude=("training*",))
    report = service.sync()[0]
    assert report.written == (f"{site.base}/docs/install.html",)


def test_single_file_url_becomes_one_article(site, service):
    from tests.core.test_formats import make_pdf

    site.pages["/files/handbook.pdf"] = ("application/pdf", make_pdf())
    service.add("handbook", f"{site.base}/files/handbook.pdf")
    assert service.all_sources()[0].kind == "file"
    report = service.sync()[0]
    assert report.written == (f"{site.base}/files/handbook.pdf",)
    text = (service.knowledge_dir / "sources/handbook/handbook.md").read_text()
    assert f"url: {site.base}/files/handbook.pdf" in text and "# Checkpoints {#page=2}" in text


def test_a_broken_file_is_reported_and_the_batch_goes_on(site, service):
    site.pages["/docs/bad.pdf"] = ("application/pdf", b"%PDF-1.7 and then nothing")
    SITEMAP = site.answer  # the sitemap lists the bad PDF too
    site.answer = lambda path, etag: (  # type: ignore[method-assign]
        (
            200,
            {"Content-Type": "application/xml"},
            SITEMAP(path, etag)[2].replace(
                b"</urlset>", f"<url><loc>{site.base}/docs/bad.pdf</loc></url></urlset>".encode()
            ),
        )
        if path == "/docs/sitemap.xml"
        else SITEMAP(path, etag)
    )
    service.add("quokka", f"{site.base}/docs/")
    report = service.sync()[0]
    reasons = dict(report.failed)
    assert reasons[f"{site.base}/docs/bad.pdf"].startswith("not a readable PDF")
    assert len(report.written) == 3


def test_robots_crawl_delay_slows_the_pace(site, service):
    site.pages["/robots.txt"] = ("text/plain", b"User-agent: *\nCrawl-delay: 0.2\nDisallow: /docs/private/\n")
    service.add("quokka", f"{site.base}/docs/")
    report = service.sync()[0]
    # The requests after robots.txt are spaced at least 0.2 s apart (the policy's own pause is 0).
    assert report.seconds >= 0.2 * (report.requests - 2)


def test_a_crawl_whose_start_page_fails_keeps_every_page(site, service):
    site.with_sitemap = False
    service.add("quokka", f"{site.base}/docs/")
    first = service.sync()[0]
    site.failing["/docs/"] = 502
    second = service.sync()[0]
    assert (f"{site.base}/docs/", "HTTP 502") in second.failed
    assert second.removed == () and second.unchanged == len(first.written) - 1


def test_a_site_that_is_down_keeps_every_page(site, service):
    service.add("quokka", f"{site.base}/docs/")
    service.sync()
    for path in ("/docs/", "/docs/install.html", "/docs/training.html"):
        site.failing[path] = 503
    report = service.sync()[0]
    assert report.removed == () and len(report.failed) == 5  # the three pages, the redirect, the broken one
    assert len(list((service.knowledge_dir / "sources" / "quokka").glob("*.md"))) == 3


def test_a_sync_whose_reindex_fails_leaves_the_previous_index_serving(site, service, tmp_path):
    index_dir = tmp_path / "index"
    service.add("quokka", f"{site.base}/docs/")
    service.sync_and_reindex(reindexer(service, index_dir))
    serving = current_generation(index_dir)
    site.pages["/docs/training.html"] = ("text/html", TRAINING_EDITED)
    with file_lock(index_dir / LOCK_FILE, wait=False), pytest.raises(IndexBusy):  # another build runs
        service.sync_and_reindex(reindexer(service, index_dir))
    assert current_generation(index_dir) == serving
    assert "every 500 steps" in (service.knowledge_dir / "sources/quokka/training.md").read_text()
    later = reindexer(service, index_dir)()  # the next build picks the synced page up
    assert later.changed == ("sources/quokka/training.md",) and current_generation(index_dir) != serving
