from pathlib import Path

import pytest

from bot.core.documents import load_documents, parse_document, rst_to_markdown_headings
from bot.errors import EmptyKnowledgeBase, InvalidArticle, KnowledgeDirMissing


def write(root: Path, name: str, data: bytes | str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def test_markdown_front_matter_gives_title_url_and_tags():
    doc = parse_document(
        "a/torch.md",
        b"---\ntitle: Torch\nurl: https://pytorch.org\ntags: [dl]\nframework: PyTorch\n---\n# Hi\ntext\n",
    )
    assert (doc.title, doc.url, doc.tags) == ("Torch", "https://pytorch.org", ("dl", "PyTorch"))
    assert doc.path == "a/torch.md" and doc.body.startswith("# Hi")


def test_title_falls_back_to_first_heading_then_file_name():
    assert parse_document("x.md", b"# Heading here\nbody").title == "Heading here"
    assert parse_document("my-notes.txt", b"just text").title == "my notes"


def test_html_is_parsed_with_headings_and_canonical_url():
    html = b"""<html><head><title>JAX intro</title><link rel="canonical" href="https://jax.dev/">
    <script>var x = 1;</script></head><body><h2>Grad</h2><p>jax.grad differentiates.</p>
    <ul><li>one</li></ul></body></html>"""
    doc = parse_document("jax.html", html)
    assert doc.title == "JAX intro" and doc.url == "https://jax.dev/"
    assert "## Grad" in doc.body and "jax.grad differentiates." in doc.body and "var x" not in doc.body


def test_rst_titles_become_heading_levels():
    text = "Title\n=====\n\nintro\n\nPart\n----\n\nbody\n"
    assert rst_to_markdown_headings(text).splitlines()[:1] == ["# Title"]
    assert "## Part" in rst_to_markdown_headings(text)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x00\x01\x02binary", "binary"),
        (b"caf\xe9 latin-1", "UTF-8"),
        (b"---\ntitle: [unclosed\n---\nbody", "front matter"),
        (b"---\ntitle: Empty\n---\n   \n", "empty"),
        (b"", "empty"),
    ],
)
def test_broken_files_raise_invalid_article_with_reason(raw, reason):
    with pytest.raises(InvalidArticle) as caught:
        parse_document("broken.md", raw)
    assert reason in caught.value.reason and caught.value.path == Path("broken.md")


def test_load_skips_broken_files_reads_subfolders_and_ignores_hidden(tmp_path):
    write(tmp_path, "good.md", "---\ntitle: Good\n---\nSome text.")
    write(tmp_path, "sub/deeper.rst", "Deep\n====\n\nnested text")
    write(tmp_path, "bad.md", b"\xff\xfe\x00")
    write(tmp_path, ".trash/old.md", "---\ntitle: Old\n---\nremoved")
    write(tmp_path, "image.png", b"\x89PNG")
    result = load_documents(tmp_path)
    assert [d.path for d in result.documents] == ["good.md", "sub/deeper.rst"]
    assert [s.path for s in result.skipped] == ["bad.md"]


def test_missing_and_empty_knowledge_dirs_raise_typed_errors(tmp_path):
    with pytest.raises(KnowledgeDirMissing):
        load_documents(tmp_path / "nope")
    write(tmp_path, "bad.md", b"")
    with pytest.raises(EmptyKnowledgeBase) as caught:
        load_documents(tmp_path)
    assert caught.value.skipped == 1


def test_shipped_articles_all_load_with_titles():
    root = Path(__file__).resolve().parents[2] / "knowledge"
    result = load_documents(root)
    assert result.skipped == () and len(result.documents) >= 10
    assert all(d.title for d in result.documents)
