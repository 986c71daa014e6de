"""Hostile HTML, PDF, notebook and MDX articles (uploaded, in the knowledge folder or fetched by a source):
each is read or refused in bounded time, with one clear reason, never an exception of another kind."""

from __future__ import annotations

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
