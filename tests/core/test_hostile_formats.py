"""Hostile HTML, PDF, notebook and MDX articles (uploaded, in the knowledge folder or fetched by a source):
each is read or refused in bounded time, with one clear reason, never an exception of another kind."""

from __future__ import annotations

import json
import time

import pytest

from bot.core.documents import parse_document
from bot.core.formats.html import MAX_ELEMENTS, HeadingIds
from bot.errors import InvalidArticle


@pytest.mark.parametrize(
    "body",
    [
        b"<p>a</p>" * 250_000,  # 2 MB of tags: 67 s of parsing before the bound
        b"<p><b>" * 300_000,  # unclosed, deeply nested
        b"<li>x" * 400_000,
    ],
    ids=["tags", "nested", "list-items"],
)
def test_html_with_more_elements_than_the_limit_is_refused_before_parsing(body):
    started = time.monotonic()
    with pytest.raises(InvalidArticle) as caught:
        parse_document("page.html", b"<html><body>" + body[:2_000_000] + b"</body></html>")
    assert time.monotonic() - started < 1.0
    assert "too many HTML elements" in caught.value.reason
    assert f"the limit is {MAX_ELEMENTS:,}" in caught.value.reason
    assert "\n" not in str(caught.value)


def test_html_under_the_element_limit_is_still_read():
    body = b"<h1 id='top'>Wombat notes</h1>" + b"<p>Wombats dig burrows with their claws.</p>" * 500
    doc = parse_document("page.html", b"<html><body>" + body + b"</body></html>")
    assert "Wombats dig burrows" in doc.body


def test_heading_ids_are_handed_out_in_page_order_in_linear_time():
    count = 60_000  # 7 texts repeated: the old scan for the first unused match took 10 s at 10,000
    ids = HeadingIds([(f"heading {i % 7}", f"h{i}") for i in range(count)])
    started = time.monotonic()
    taken = [ids.take(f"Heading {i % 7}") for i in range(count)]
    assert time.monotonic() - started < 1.0
    assert taken == [f"h{i}" for i in range(count)]
    assert ids.take("Heading 0") is None and ids.take("never seen") is None


def shared_stream_pdf(stream_bytes: int, pages: int) -> bytes:
    """A small PDF whose pages all draw one content stream of `stream_bytes` of text operations."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    unit = b"BT /F1 12 Tf 10 10 Td (a) Tj ET\n"
    stream = DecodedStreamObject()
    stream.set_data(unit * (stream_bytes // len(unit)))
    contents = writer._add_object(stream.flate_encode(level=9))
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(font)})
    for _ in range(pages):
        page = writer.add_blank_page(200, 200)
        page[NameObject("/Contents")] = contents
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_whose_pages_share_one_huge_stream_is_refused_within_its_work_budget(monkeypatch):
    from bot.core.formats import pdf

    monkeypatch.setattr(pdf, "MAX_OPERATIONS", 20_000)  # the real bound, scaled down to keep this fast
    data = shared_stream_pdf(100_000, 400)  # 15,600 operations a page, 6 million in all; 60 KB
    assert len(data) < 100_000
    started = time.monotonic()
    with pytest.raises(InvalidArticle, match="more than 20,000 drawing operations; too much to read"):
        parse_document("bomb.pdf", data)
    assert time.monotonic() - started < 3.0


def test_a_pdf_within_the_work_budget_is_read():
    doc = parse_document("small.pdf", shared_stream_pdf(3_200, 3))  # 500 operations a page
    assert doc.body.count("a") >= 300


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (numbered from 1, the first the catalogue) with a correct xref table."""
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj ".encode() + body + b" endobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF".encode()
    return out


PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Contents 4 0 R"
HELLO = b"<< /Length 30 >> stream\nBT /F1 12 Tf (hello) Tj ET   \nendstream"


@pytest.mark.parametrize(
    "objects",
    [
        [b"<< /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", PAGE + b" >>", HELLO],
        [
            b"<< /Pages 2 0 R /Outlines 5 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            PAGE + b" >>",
            HELLO,
            b"<< /Type /Outlines /First 6 0 R /Last 6 0 R >>",
            b"<< /Title (a) /Parent 5 0 R /First 6 0 R /Last 6 0 R /Next 6 0 R /Dest [3 0 R /Fit] >>",
        ],
        [
            b"<< /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 999999999999 >>",
            PAGE + b" >>",
            HELLO,
        ],
        [
            b"<< /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            PAGE + b" /Resources << /XObject << /X 5 0 R >> >> >>",
            b"<< /Length 6 >> stream\n/X Do\nendstream",
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /X 5 0 R >> >>"
            b" /Length 6 >> stream\n/X Do\nendstream",
        ],
    ],
    ids=["page-tree-cycle", "outline-cycle", "page-count-lie", "form-drawing-itself"],
)
def test_pdf_cycles_and_lies_end_at_once(objects):
    started = time.monotonic()
    try:
        parse_document("cycle.pdf", raw_pdf(objects))
    except InvalidArticle as error:
        assert "\n" not in error.reason
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://docs.example/install", "https://docs.example/install"),
        (
            "https://en.wikipedia.org/wiki/Wombat_(animal)",
            "https://en.wikipedia.org/wiki/Wombat_%28animal%29",
        ),
        ("https://ok.example/a) [Click me](https://evil.example", None),  # whitespace: no link
        (
            "https://ok.example/a)[x](https://evil.example/",
            "https://ok.example/a%29[x]%28https://evil.example/",
        ),
        ("javascript:alert(1)", None),
        ("file:///etc/passwd", None),
        ("/relative/path", None),
        ("https://" + "a" * 3000, None),
        ("https://ok.example/\u202eevil", None),  # a bidi override: not printable
    ],
)
def test_an_articles_url_is_linked_only_when_it_is_a_plain_web_address(url, linked):
    front = "---\ntitle: Wombats\nurl: " + json.dumps(url) + "\n---\n\n# Wombats\n\nWombats dig burrows.\n"
    assert parse_document("w.md", front.encode()).url == linked


def test_a_pages_canonical_link_is_held_to_the_same_rule():
    page = b'<html><head><link rel="canonical" href="javascript:alert(1)"></head><body><h1>W</h1>'
    assert (
        parse_document("w.html", page + b"<p>Wombats dig burrows with claws.</p></body></html>").url is None
    )


@pytest.mark.parametrize(
    ("notebook", "reason"),
    [
        ({"cells": [{"cell_type": "code", "source": [1, 2]}]}, "cell 1 has no text source"),
        ({"cells": [{"cell_type": "code", "source": {"a": "b"}}]}, "cell 1 has no text source"),
        ({"cells": ["text"]}, "cell 1 is not an object"),
        ('{"cells": [], "n": ' + "9" * 5000 + "}", "invalid JSON"),  # past int's 4,300 digits
        ('{"cells": [' + "[" * 100_000 + "]" * 100_000 + "]}", "nested too deeply"),
    ],
    ids=["number-lines", "object-source", "string-cell", "huge-integer", "deep"],
)
def test_a_notebook_with_odd_cells_is_refused_in_one_line(notebook, reason):
    # Already safe: each is a reason of its own, in well under a second.
    text = notebook if isinstance(notebook, str) else json.dumps(notebook)
    started = time.monotonic()
    with pytest.raises(InvalidArticle, match=reason) as caught:
        parse_document("odd.ipynb", text.encode())
    assert time.monotonic() - started < 1.0 and "\n" not in caught.value.reason


def test_a_notebook_with_one_huge_cell_is_read_quickly():
    cell = {"cell_type": "code", "source": "x = 1  # ```\n" * 100_000}  # 1.3 MB, a fence inside
    started = time.monotonic()
    doc = parse_document("big.ipynb", json.dumps({"cells": [cell]}).encode())
    assert time.monotonic() - started < 1.0 and doc.body.startswith("````")
