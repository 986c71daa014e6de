"""PDF, notebooks, MDX and documentation-site HTML, read into articles with their section anchors."""

from __future__ import annotations

import json

import pytest

from bot.core.anchors import github_slug, section_url, split_heading_id, with_slug_ids
from bot.core.chunking import chunk_document
from bot.core.documents import load_documents, parse_document
from bot.errors import InvalidArticle

DOCS_PAGE = b"""<html><head><title>Install - MyLib docs</title>
<link rel="canonical" href="https://docs.example/install"></head><body>
<header><nav><a href="/">Home</a> <a href="/guide">Guide</a> Navigation chrome menu</nav></header>
<div class="cookie-banner" id="cookie-consent"><p>We use cookies to improve your visit. Cookie chrome.</p>
<button>Accept all cookies</button></div>
<aside class="sidebar"><ul><li><a href="/a">Sidebar chrome start</a></li><li><a href="/b">Configuration</a></li></ul></aside>
<main><article>
<h1 id="installing-mylib">Installing MyLib</h1>
<p>MyLib is installed with pip. Run the command below in a fresh virtual environment to get the latest release.</p>
<pre><code>pip install mylib</code></pre>
<section id="gpu"><h2>GPU support<a class="headerlink" href="#gpu">\xc2\xb6</a></h2>
<p>For GPU support install the CUDA extra, which pulls the matching kernels. It needs CUDA 12 or newer.</p></section>
<h2 id="troubleshooting">Troubleshooting</h2>
<p>If the import fails, check that the virtual environment is active and that pip installed into it.</p>
</article></main>
<footer><p>Footer chrome: copyright 2026 the MyLib authors. All rights reserved.</p></footer></body></html>"""


def words(text: str) -> int:
    return len(text.split())


def test_docs_page_keeps_main_content_and_heading_ids_and_drops_chrome():
    doc = parse_document("install.html", DOCS_PAGE)
    assert "chrome" not in doc.body.casefold() and "cookies" not in doc.body
    assert "## GPU support {#gpu}" in doc.body and "## Troubleshooting {#troubleshooting}" in doc.body
    assert "```\npip install mylib\n```" in doc.body
    urls = {p.section: p.url for p in chunk_document(doc, words, 200)}
    assert urls["Installing MyLib › GPU support"] == "https://docs.example/install#gpu"
    assert urls["Installing MyLib › Troubleshooting"] == "https://docs.example/install#troubleshooting"


def make_pdf(with_outline: bool = True) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.set_title("MyLib handbook")
    for title, text in (
        ("Training", "The trainer runs epochs on the CPU by default."),
        ("Checkpoints", "Call save to write a checkpoint; load reads it back."),
    ):
        pdf.add_page()
        if with_outline:
            pdf.start_section(title)
        pdf.multi_cell(0, 8, f"{title}\n{text}")
    return bytes(pdf.output())


def test_pdf_outline_entries_become_headings_anchored_at_their_page():
    doc = parse_document("handbook.pdf", make_pdf())
    assert doc.title == "MyLib handbook"
    assert "# Training {#page=1}" in doc.body and "# Checkpoints {#page=2}" in doc.body
    doc = parse_document("handbook.pdf", make_pdf())
    sections = {p.section: p.text for p in chunk_document(doc, words, 200)}
    assert "load reads it back" in sections["Checkpoints"]


def test_pdf_without_outline_is_its_text():
    doc = parse_document("plain.pdf", make_pdf(with_outline=False))
    assert "#" not in doc.body and "runs epochs on the CPU" in doc.body


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog", "not a readable PDF"),
        (b"", "not a readable PDF"),
        (b"\x00" * 1000, "not a readable PDF"),
    ],
)
def test_broken_pdf_is_refused_with_a_reason(data, reason):
    with pytest.raises(InvalidArticle, match=reason):
        parse_document("broken.pdf", data)


def make_notebook() -> bytes:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["language_info"] = {"name": "python"}
    output = nbformat.v4.new_output("stream", text="Epoch 1 loss 0.93 (an output)")
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Quick tour\n\nThis notebook trains a small model."),
        nbformat.v4.new_code_cell("model.fit(x, y, epochs=3)", outputs=[output]),
        nbformat.v4.new_raw_cell("raw cell for converters"),
    ]
    return nbformat.writes(notebook).encode()


def test_notebook_keeps_markdown_and_code_and_drops_outputs():
    doc = parse_document("tour.ipynb", make_notebook())
    assert doc.title == "Quick tour"
    assert "This notebook trains a small model." in doc.body
    assert "```python\nmodel.fit(x, y, epochs=3)\n```" in doc.body
    assert "Epoch 1 loss" not in doc.body and "raw cell" not in doc.body


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "invalid JSON"),
        (b'{"cells": 5}', 'no "cells" list'),
        (b'{"cells": [{"cell_type": "code", "source": 7}]}', "cell 1 has no text source"),
        (b"[" * 100_000, "nested too deeply|invalid JSON"),
    ],
)
def test_broken_notebook_is_refused_with_a_reason(data, reason):
    with pytest.raises(InvalidArticle, match=reason):
        parse_document("broken.ipynb", data)


def test_mdx_loses_imports_components_and_comments_but_keeps_text_and_code():
    mdx = """---
title: Install
---
import Tabs from '@theme/Tabs';
export const meta = {a: 1};

## With pip {#pip}

<Tabs groupId="tool">
<TabItem value="pip" label="pip > conda">
Install it with pip in a virtual environment.
</TabItem>
</Tabs>
{/* a note for editors */}
<Admonition type="tip" />

```jsx
<Tabs>kept as code</Tabs>
```
"""
    doc = parse_document("install.mdx", mdx.encode())
    assert "import" not in doc.body and "export" not in doc.body and "editors" not in doc.body
    assert "<TabItem" not in doc.body and "<Admonition" not in doc.body and "conda" not in doc.body
    assert "Install it with pip in a virtual environment." in doc.body
    assert "<Tabs>kept as code</Tabs>" in doc.body
    assert chunk_document(doc, words, 200)[0].section == "With pip"


def test_a_broken_file_is_skipped_with_one_line_and_the_rest_indexed(tmp_path):
    (tmp_path / "good.md").write_text("# Good\n\nFine text.\n")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.7 then nothing")
    (tmp_path / "bad.ipynb").write_text(json.dumps({"cells": "no"}))
    (tmp_path / "tour.ipynb").write_bytes(make_notebook())
    loaded = load_documents(tmp_path)
    assert sorted(d.path for d in loaded.documents) == ["good.md", "tour.ipynb"]
    assert {s.path: s.reason.split(" (")[0] for s in loaded.skipped} == {
        "bad.ipynb": "not a Jupyter notebook",
        "bad.pdf": "not a readable PDF",
    }


def test_github_slugs_follow_githubs_rules():
    seen: dict[str, int] = {}
    assert [github_slug(h, seen) for h in ("Install & Run!", "API `v2`", "FAQ", "FAQ")] == [
        "install--run",
        "api-v2",
        "faq",
        "faq-1",
    ]


def test_slug_ids_are_added_outside_code_and_never_over_an_explicit_id():
    body = "# Title\n\n```\n# comment\n```\n\n## Own {#mine}\n\n## Same\n\n## Same\n"
    assert with_slug_ids(body).splitlines() == [
        "# Title {#title}",
        "",
        "```",
        "# comment",
        "```",
        "",
        "## Own {#mine}",
        "",
        "## Same {#same}",
        "",
        "## Same {#same-1}",
    ]


def test_heading_ids_and_section_urls():
    assert split_heading_id("Install {#install-it}") == ("Install", "install-it")
    assert split_heading_id("Set {x}") == ("Set {x}", None)
    assert section_url("https://a.example/p#old", "new") == "https://a.example/p#new"
    assert section_url(None, "x") is None and section_url("https://a.example/", None) == "https://a.example/"


def test_markdown_without_ids_keeps_the_plain_url():
    doc = parse_document("a.md", b"---\nurl: https://a.example/a\n---\n# A\n\ntext\n\n## B\n\nmore\n")
    assert {p.url for p in chunk_document(doc, words, 200)} == {"https://a.example/a"}


def test_damaged_pdfs_and_notebooks_are_refused_never_raised():
    """Truncated and bit-flipped copies of real files: each parses or is refused as InvalidArticle."""
    import random

    chooser = random.Random(13)
    for name, good in (("x.pdf", make_pdf()), ("x.ipynb", make_notebook())):
        outcomes = {"parsed": 0, "refused": 0}
        for _ in range(150):
            damaged = bytearray(good)
            if chooser.random() < 0.5:
                damaged = damaged[: chooser.randrange(len(damaged))]
            else:
                for _ in range(chooser.randrange(1, 20)):
                    damaged[chooser.randrange(len(damaged))] = chooser.randrange(256)
            try:
                parse_document(name, bytes(damaged))
                outcomes["parsed"] += 1
            except InvalidArticle:  # anything else would fail the test: that is what it checks
                outcomes["refused"] += 1
        assert outcomes["refused"] > 0 and sum(outcomes.values()) == 150, (name, outcomes)


@pytest.mark.parametrize(
    ("title", "h1", "expected"),
    [
        ("Saving - Quokka docs", "Saving", "Saving"),
        ("Quokka docs", "Saving models", "Quokka docs"),
        ("Saving", "Saving", "Saving"),
    ],
)
def test_html_title_drops_the_site_name_the_h1_lacks(title, h1, expected):
    html = f"<html><head><title>{title}</title></head><body><h1>{h1}</h1><p>Some text.</p></body></html>"
    assert parse_document("p.html", html.encode()).title == expected


def test_docs_about_cookies_are_content_not_a_banner():
    page = b"""<html><head><title>Sessions</title></head><body>
<div class="cookie-consent-banner"><p>We use cookies. Accept them all?</p></div>
<main><h1 id="sessions">Sessions</h1><p>A session object keeps settings across the requests it sends.</p>
<section id="cookies"><h2 id="cookies-h">Cookies</h2><p class="cookie-note">A session stores the cookies a
server sets and sends them back with the next request to that server, until they expire.</p></section>
</main></body></html>"""
    doc = parse_document("sessions.html", page)
    assert "## Cookies {#cookies-h}" in doc.body and "sends them back with the next request" in doc.body
    assert "Accept them all" not in doc.body


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("open-tag.mdx", "<Tabs" + " " * 500_000 + "never closed"),
        ("comments.mdx", "{/*" * 300_000),
        ("tags.mdx", '<Tab value="a">x</Tab>' * 50_000),
        ("heading.md", "# a" + " " * 500_000 + "b {#x}"),
    ],
)
def test_hostile_text_is_read_in_linear_time(name, text):
    """Each of these took minutes with regular expressions whose parts could match the same characters."""
    import time

    started = time.perf_counter()
    parse_document(name, text.encode())
    assert time.perf_counter() - started < 5


def test_mdx_keeps_comparisons_in_prose():
    body = parse_document("a.mdx", b"If x < 3 and y > 2, use <Tip>the fast path</Tip>.").body
    assert body.strip() == "If x < 3 and y > 2, use the fast path."
