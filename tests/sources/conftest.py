from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.sources.policy import FetchPolicy
from bot.sources.service import SourceService
from tests.conftest import hard_time_limit

time_limit = hard_time_limit(120)
# The tests' server is on 127.0.0.1, so private addresses are allowed (QABOT_SOURCES_ALLOW_PRIVATE);
# no pause between requests keeps them fast.
TEST_POLICY = FetchPolicy(allow_private=True, request_interval=0.0, timeout=5.0, concurrency=2)


@pytest.fixture
def service(tmp_path) -> SourceService:
    (tmp_path / "knowledge").mkdir()
    return SourceService(tmp_path / "data" / "sources", tmp_path / "knowledge", TEST_POLICY)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=Test", "-c", "user.email=test@example.invalid", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repository(tmp_path) -> Path:
    """A real git repository with one commit: docs in Markdown, MDX, a notebook and text (see second_commit)."""
    from tests.core.test_formats import make_notebook

    repo = tmp_path / "upstream"
    (repo / "docs").mkdir(parents=True)
    git(repo, "init", "--quiet", "--initial-branch=main")
    (repo / "README.md").write_text("# Readme\n\nNot under docs, so not read.\n")
    (repo / "docs" / "install.md").write_text(
        "# Installing Wombat\n\nWombat installs with pip install wombat.\n\n"
        "## Upgrading & pinning\n\nUpgrade with pip install -U wombat; pin it in requirements.txt.\n"
    )
    (repo / "docs" / "tabs.mdx").write_text(
        "---\ntitle: Wombat on GPUs\n---\nimport Tabs from '@theme/Tabs';\n\n"
        "## CUDA\n\n<Tabs><TabItem value='a'>Wombat needs CUDA 12 for its GPU kernels.</TabItem></Tabs>\n"
    )
    (repo / "docs" / "tour.ipynb").write_bytes(make_notebook())
    (repo / "docs" / "notes.txt").write_text("Plain notes about Wombat's release cycle: every six weeks.\n")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "first")
    return repo


def second_commit(repo: Path) -> None:
    """The second commit: one file edited."""
    (repo / "docs" / "install.md").write_text(
        "# Installing Wombat\n\nWombat installs with pip install wombat, or with conda install wombat.\n\n"
        "## Upgrading & pinning\n\nUpgrade with pip install -U wombat; pin it in requirements.txt.\n"
    )
    git(repo, "commit", "--quiet", "-am", "second: conda")
