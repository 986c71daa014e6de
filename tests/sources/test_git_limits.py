"""A hostile repository: a commit too big to fetch, a tree too long to list. Real git, real repositories."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
from pathlib import Path

from bot.core.quota import MB
from bot.sources.gitprocess import objects_bytes
from bot.sources.service import SourceService
from tests.sources.conftest import TEST_POLICY, git

SMALL_CAP = dataclasses.replace(TEST_POLICY, max_repo_bytes=1 * MB)
TOO_LARGE = "the repository is larger than 1 MB (QABOT_SOURCES_MAX_REPO_MB); its fetch was stopped"


def capped_service(tmp_path: Path, policy=SMALL_CAP) -> SourceService:
    return SourceService(tmp_path / "data" / "sources", tmp_path / "knowledge", policy)


def commit_random_file(repo: Path, megabytes: int) -> None:
    """Random bytes don't compress, so the commit's pack is as large as the file."""
    (repo / "blob.bin").write_bytes(os.urandom(megabytes * MB))
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "a huge file")


def articles(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers(clone: Path) -> list[str]:
    """What a stopped git could leave behind: temporary packs and objects, locks."""
    names = ("tmp_pack_*", "tmp_idx_*", "tmp_obj_*", "incoming-*", "*.lock")
    return sorted(str(p.relative_to(clone)) for name in names for p in clone.rglob(name))


def test_a_commit_over_the_byte_cap_fails_the_sync_and_leaves_nothing_behind(tmp_path, repository):
    service = capped_service(tmp_path)
    service.add("wombat", str(repository), folder="docs", local_allowed=True)
    assert service.sync()[0].error is None
    folder = service.knowledge_dir / "sources" / "wombat"
    good = articles(folder)
    clone = tmp_path / "data" / "sources" / "wombat" / "repo.git"
    size_before = objects_bytes(clone)

    commit_random_file(repository, megabytes=3)
    report = service.sync()[0]

    assert report.error == TOO_LARGE
    assert leftovers(clone) == []
    assert objects_bytes(clone) == size_before  # the disk is given back
    assert articles(folder) == good


def test_the_clone_still_syncs_after_a_stopped_fetch(tmp_path, repository):
    service = capped_service(tmp_path)
    service.add("wombat", str(repository), folder="docs", local_allowed=True)
    service.sync()
    commit_random_file(repository, megabytes=3)
    assert service.sync()[0].error == TOO_LARGE
    git(repository, "rm", "--quiet", "blob.bin")
    (repository / "docs" / "later.md").write_text("# Later\n\nWritten after the huge file was removed.\n")
    git(repository, "add", "-A")
    git(repository, "commit", "--quiet", "-m", "smaller again")
    report = service.sync()[0]
    assert report.error is None and report.written == ("docs/later.md",)


def test_a_fetch_over_the_byte_cap_is_stopped_while_it_downloads(tmp_path, repository):
    from tests.sources.git_server import serve_git

    commit_random_file(repository, megabytes=4)
    service = capped_service(tmp_path)
    hangups: list[str] = []
    # 64 KiB each 20 ms: the 4 MB take more than a second, the first megabyte a third of it.
    with serve_git(repository.parent, pace=0.02, hangups=hangups) as base:
        service.add("wombat", f"{base}/{repository.name}/.git", folder="docs")
        report = service.sync()[0]
        deadline = time.monotonic() + 5
        while not hangups and time.monotonic() < deadline:
            time.sleep(0.05)
    assert report.error == TOO_LARGE
    assert any("git-upload-pack" in path for path in hangups)  # git hung up before the pack's end
    assert leftovers(tmp_path / "data" / "sources" / "wombat" / "repo.git") == []
    assert not any((service.knowledge_dir / "sources").rglob("*.md"))


def test_a_long_file_list_is_read_only_to_its_bound(tmp_path, repository):
    for number in range(150):
        (repository / "docs" / f"page{number:03}.md").write_text(f"# Page {number}\n\nText {number}.\n")
    git(repository, "add", "-A")
    git(repository, "commit", "--quiet", "-m", "many files")
    service = capped_service(tmp_path, dataclasses.replace(TEST_POLICY, max_tree_entries=100))
    service.add("wombat", str(repository), folder="docs", local_allowed=True)
    report = service.sync()[0]
    assert report.error is None and len(report.written) == 100
    assert report.notes == (
        "stopped reading the repository's file list at 100 entries; the rest were not considered",
    )


def test_files_past_max_pages_are_not_read(tmp_path, repository):
    service = capped_service(tmp_path, dataclasses.replace(TEST_POLICY, max_pages=2))
    service.add("wombat", str(repository), folder="docs", local_allowed=True)
    report = service.sync()[0]
    assert len(report.written) == 2
    assert report.notes == ("stopped at 2 files (QABOT_SOURCES_MAX_PAGES); the rest were not read",)


def test_a_later_sync_fetches_only_what_changed_and_the_clone_keeps_one_copy(tmp_path, repository):
    """The whole tree is 30 incompressible files; after one is edited, the next fetch fits a cap far below
    the tree's size (git says which commit it has), and the clone doesn't grow by a tree per sync."""
    docs = repository / "docs"
    for number in range(30):
        (docs / f"page-{number:02}.md").write_text(f"# Page {number}\n\n{os.urandom(16_000).hex()}\n")
    git(repository, "add", "-A")
    git(repository, "commit", "--quiet", "-m", "thirty pages")
    service = capped_service(tmp_path, TEST_POLICY)
    service.add("wombat", str(repository), folder="docs", local_allowed=True)
    assert service.sync()[0].error is None
    clone = tmp_path / "data" / "sources" / "wombat" / "repo.git"
    whole = objects_bytes(clone)
    assert whole > 400_000  # hex of random bytes: about half compresses away
    old_blob = git(repository, "rev-parse", "HEAD:docs/page-00.md")

    for edit in range(3):
        (docs / "page-00.md").write_text(f"# Page 0\n\nEdited {edit} times.\n")
        git(repository, "commit", "--quiet", "-am", f"edit {edit}")
        small = capped_service(tmp_path, dataclasses.replace(TEST_POLICY, max_repo_bytes=100_000))
        report = small.sync()[0]
        assert report.error is None and report.written == ("docs/page-00.md",)
    assert objects_bytes(clone) < whole * 1.1
    assert len(list((clone / "objects" / "pack").glob("*.pack"))) == 1
    missing = subprocess.run(["git", "-C", str(clone), "cat-file", "-e", old_blob], check=False)
    assert missing.returncode != 0  # the first version's blob is gone
