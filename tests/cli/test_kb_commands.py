"""`qabot kb add|remove` through the CLI's runner: real files, real FAISS, the fake model (the one thing
replaced, at the wiring's boundary, so no model loads)."""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import wiring
from bot.cli import EXIT_ERROR, cli
from bot.core.indexer import LOCK_FILE
from bot.settings import CoreSettings
from tests.fakes import HashingEmbedder

QUOKKA = b"---\ntitle: Quokka\n---\n\n## Installing Quokka\n\nQuokka is installed with pip install quokka.\n"
JAX = "jax.md"


@pytest.fixture
def folders(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A knowledge folder of three articles, indexed, and the fake model wherever the CLI loads one."""
    monkeypatch.setattr(wiring, "open_embedder", lambda settings: HashingEmbedder())
    knowledge, index = tmp_path / "knowledge", tmp_path / "index"
    knowledge.mkdir()
    for name in ("jax.md", "pytorch.md", "keras.md"):
        shutil.copy(Path(__file__).parents[2] / "knowledge" / name, knowledge / name)
    assert kb("index", knowledge, index).exit_code == 0
    return knowledge, index


def kb(command: str, knowledge: Path, index: Path, *args: str):
    argv = [command] if command == "index" else ["kb", command]
    return CliRunner().invoke(
        cli, [*argv, *args, "--knowledge", str(knowledge), "--index", str(index)], catch_exceptions=False
    )


def indexed(knowledge: Path, index: Path) -> set[str]:
    settings = CoreSettings(knowledge_dir=knowledge, index_dir=index)
    base, _ = wiring.open_knowledge_base(settings, embedder=HashingEmbedder(), build_if_missing=False)
    return {article.path for article in base.articles()}


def upload(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_add_saves_under_a_safe_name_and_indexes_it(folders, tmp_path):
    knowledge, index = folders
    result = kb("add", knowledge, index, upload(tmp_path, "My Quokka.MD", QUOKKA))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("added my-quokka.md; 4 articles")
    assert (knowledge / "my-quokka.md").read_bytes() == QUOKKA
    assert "my-quokka.md" in indexed(knowledge, index)


def test_add_over_an_existing_article_needs_replace(folders, tmp_path):
    knowledge, index = folders
    before = (knowledge / JAX).read_bytes()
    refused = kb("add", knowledge, index, upload(tmp_path, JAX, QUOKKA))
    assert refused.exit_code == EXIT_ERROR and "already exists" in refused.output
    assert (knowledge / JAX).read_bytes() == before
    replaced = kb("add", knowledge, index, upload(tmp_path, JAX, QUOKKA), "--replace")
    assert replaced.exit_code == 0 and replaced.output.startswith("replaced jax.md;")
    assert (knowledge / JAX).read_bytes() == QUOKKA


def test_a_broken_article_is_refused_before_anything_is_written(folders, tmp_path):
    knowledge, index = folders
    result = kb("add", knowledge, index, upload(tmp_path, "broken.md", b"---\ntitle: [unclosed\n---\nbody"))
    assert result.exit_code == EXIT_ERROR and "`broken.md` was not added" in result.output
    assert not (knowledge / "broken.md").exists()


def test_remove_moves_the_article_to_the_trash_and_out_of_the_index(folders):
    knowledge, index = folders
    result = kb("remove", knowledge, index, JAX)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("moved jax.md to .trash/") and not (knowledge / JAX).exists()
    [trashed] = (knowledge / ".trash").iterdir()
    assert trashed.name.endswith(JAX) and JAX not in indexed(knowledge, index)


def test_removing_a_link_moves_the_link_never_its_target(folders, tmp_path):
    knowledge, index = folders
    secret = tmp_path / "secret.md"
    secret.write_text("DISCORD_TOKEN=x")
    (knowledge / "config.md").symlink_to(secret)
    assert kb("remove", knowledge, index, "config.md").exit_code == 0
    assert secret.read_text() == "DISCORD_TOKEN=x" and not (knowledge / "config.md").is_symlink()


def test_an_unknown_article_is_one_line_and_changes_nothing(folders):
    knowledge, index = folders
    result = kb("remove", knowledge, index, "../knowledge/jax.md")
    assert result.exit_code == EXIT_ERROR and "no article `../knowledge/jax.md`" in result.output
    assert (knowledge / JAX).exists()


@pytest.mark.parametrize("command", ["add", "remove"])
def test_a_failed_reindex_puts_the_folder_back(folders, tmp_path, command):
    knowledge, index = folders
    before = sorted(p.name for p in knowledge.iterdir())
    argument = upload(tmp_path, "quokka.md", QUOKKA) if command == "add" else JAX
    with (index / LOCK_FILE).open("a") as held:  # another process's reindex holds the build lock
        fcntl.flock(held, fcntl.LOCK_EX)
        result = kb(command, knowledge, index, argument)
    assert result.exit_code == EXIT_ERROR and "already running" in result.output
    assert sorted(p.name for p in knowledge.iterdir() if p.name != ".trash") == before
    assert indexed(knowledge, index) == {"jax.md", "pytorch.md", "keras.md"}


def test_a_pdf_and_a_notebook_can_be_added_like_any_article(folders, tmp_path):
    from tests.core.test_formats import make_notebook, make_pdf

    knowledge, index = folders
    for name, data in (("handbook.pdf", make_pdf()), ("tour.ipynb", make_notebook())):
        result = kb("add", knowledge, index, upload(tmp_path, name, data))
        assert result.exit_code == 0, result.output
        assert name in indexed(knowledge, index)
    broken = kb("add", knowledge, index, upload(tmp_path, "broken.pdf", b"%PDF-1.4"))
    assert broken.exit_code == 2 and "not a readable PDF" in broken.output
