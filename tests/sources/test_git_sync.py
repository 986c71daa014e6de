"""A real git repository made by the test, synced with the real `git`, indexed with real FAISS."""

from __future__ import annotations

import pytest

from bot.core.indexer import build_index
from bot.core.store import load_index
from bot.errors import SourceRefused
from bot.sources.gitrepo import blob_url
from tests.fakes import HashingEmbedder
from tests.sources.conftest import git, second_commit


def test_repository_folder_is_read_into_articles_with_slug_anchors(service, repository):
    service.add("wombat", str(repository), folder="docs", local_allowed=True)
    assert service.all_sources()[0].kind == "git"
    report = service.sync()[0]
    assert report.error is None and not report.failed
    folder = service.knowledge_dir / "sources" / "wombat"
    assert sorted(p.name for p in folder.iterdir()) == ["install.md", "notes.md", "tabs.md", "tour.md"]
    install = (folder / "install.md").read_text()
    assert "## Upgrading & pinning {#upgrading--pinning}" in install
    assert "source: wombat" in install and "url:" not in install  # a local repository has no web page
    assert "<Tabs>" not in (folder / "tabs.md").read_text()
    assert "Not under docs" not in " ".join(p.read_text() for p in folder.iterdir())


def test_second_commit_rereads_and_reembeds_only_the_edited_file(service, repository, tmp_path):
    service.add("wombat", str(repository), folder="docs", local_allowed=True)
    embedder = HashingEmbedder()
    index_dir = tmp_path / "index"
    first = service.sync_and_reindex(lambda: build_index(service.knowledge_dir, index_dir, embedder))
    assert len(first.reports[0].written) == 4
    second_commit(repository)
    second = service.sync_and_reindex(lambda: build_index(service.knowledge_dir, index_dir, embedder))
    report = second.reports[0]
    assert report.written == ("docs/install.md",) and report.unchanged == 3
    assert second.build is not None and second.build.changed == ("sources/wombat/install.md",)
    assert 0 < second.build.embedded <= 4  # the edited section's passage, views and new sentences
    store = load_index(index_dir)
    try:
        assert any("conda install wombat" in p.text for p in store.all_passages())
    finally:
        store.close()


def test_include_and_exclude_globs_choose_files(service, repository):
    service.add(
        "wombat",
        str(repository),
        folder="docs",
        include=("*.md", "*.ipynb"),
        exclude=("tour*",),
        local_allowed=True,
    )
    assert service.sync()[0].written == ("docs/install.md",)


def test_a_branch_is_followed(service, repository):
    git(repository, "checkout", "--quiet", "-b", "next")
    (repository / "docs" / "new.md").write_text("# New\n\nOnly on the next branch.\n")
    git(repository, "add", "-A")
    git(repository, "commit", "--quiet", "-m", "next")
    git(repository, "checkout", "--quiet", "main")
    service.add("wombat", str(repository), folder="docs", branch="next", local_allowed=True)
    assert "docs/new.md" in service.sync()[0].written


def test_links_in_the_repository_are_never_read(service, repository):
    (repository / "docs" / "passwd.md").symlink_to("/etc/passwd")
    git(repository, "add", "-A")
    git(repository, "commit", "--quiet", "-m", "a link")
    service.add("wombat", str(repository), folder="docs", local_allowed=True)
    report = service.sync()[0]
    assert "docs/passwd.md" not in report.written
    assert not (service.knowledge_dir / "sources" / "wombat" / "passwd.md").exists()


def test_an_unreachable_repository_keeps_the_last_good_copy(service, repository):
    service.add("wombat", str(repository), folder="docs", local_allowed=True)
    service.sync()
    (repository / ".git").rename(repository / "not-git")
    report = service.sync()[0]
    assert report.error is not None and report.error.startswith("git fetch failed")
    assert (service.knowledge_dir / "sources" / "wombat" / "install.md").is_file()


def test_local_repository_only_from_the_command_line(service, repository):
    with pytest.raises(SourceRefused, match="only from the command line"):
        service.add("wombat", str(repository), kind="git")


@pytest.mark.parametrize(
    "location",
    [
        "ext::sh -c touch% /tmp/pwned",
        "file:///etc",
        "ssh://git@example.com/x.git",
        "-uupload-pack=touch /tmp/x",
    ],
)
def test_other_git_transports_are_refused(service, location):
    with pytest.raises(SourceRefused):
        service.add("evil", location, kind="git", local_allowed=True)
    assert service.all_sources() == []


def test_citation_links_to_the_file_at_its_commit_on_known_hosts():
    assert (
        blob_url("https://github.com/org/lib.git", "abc123", "docs/a b.md")
        == "https://github.com/org/lib/blob/abc123/docs/a%20b.md"
    )
    assert blob_url("https://gitlab.com/g/p", "c0", "x.md") == "https://gitlab.com/g/p/-/blob/c0/x.md"
    assert blob_url("https://git.example.org/p.git", "c0", "x.md") is None
    assert blob_url("/srv/repo", "c0", "x.md") is None


def test_repository_over_http_is_fetched_like_a_hosted_one(service, repository):
    from tests.sources.git_server import serve_git

    with serve_git(repository.parent) as base:
        url = f"{base}/{repository.name}/.git"
        service.add("wombat", url, folder="docs")
        assert service.all_sources()[0].kind == "git"
        first = service.sync()[0]
        assert first.error is None and len(first.written) == 4
        second_commit(repository)
        second = service.sync()[0]
    assert second.written == ("docs/install.md",)
    text = (service.knowledge_dir / "sources" / "wombat" / "install.md").read_text()
    assert "conda install wombat" in text and "url:" not in text  # 127.0.0.1 is no known web host


def test_repository_on_a_private_address_is_refused_before_git_runs(tmp_path, repository):
    from bot.sources.policy import FetchPolicy
    from bot.sources.service import SourceService
    from tests.sources.git_server import serve_git

    (tmp_path / "knowledge").mkdir(exist_ok=True)
    strict = SourceService(tmp_path / "strict", tmp_path / "knowledge", FetchPolicy())
    with serve_git(repository.parent) as base:
        strict.add("wombat", f"{base}/{repository.name}/.git")
        report = strict.sync()[0]
    assert report.error.startswith("127.0.0.1 is a loopback address")
    assert not (tmp_path / "strict" / "wombat" / "repo.git").exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://github.com/org/lib/tree/main/docs/guide",
            ("https://github.com/org/lib", "main", "docs/guide"),
        ),
        ("https://github.com/org/lib/tree/v2", ("https://github.com/org/lib", "v2", "")),
        ("https://gitlab.com/group/lib/-/tree/dev/docs", ("https://gitlab.com/group/lib", "dev", "docs")),
    ],
)
def test_a_folder_url_on_the_host_names_repository_branch_and_folder(service, url, expected):
    source = service.add("lib", url)
    assert (source.kind, source.location, source.branch, source.folder) == ("git", *expected)


def test_kinds_are_guessed_from_the_location(service):
    from bot.sources.registry import guess_kind

    assert guess_kind("https://github.com/org/lib") == "git"
    assert guess_kind("https://git.example.org/lib.git") == "git"
    assert guess_kind("https://example.org/files/guide.pdf") == "file"
    assert guess_kind("https://docs.example.org/guide/") == "website"
    assert guess_kind("https://docs.example.org/guide/index.html") == "website"
