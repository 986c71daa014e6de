"""PDF -> Markdown: each page's text, with the outline's entries (bookmarks) as headings.

A PDF has no headings of its own; where it has an outline, each entry becomes a heading placed where its
title appears on its page (at the page's start when the title can't be found), anchored `#page=N`, which
PDF viewers open at. A damaged or encrypted file raises FormatError; the page count is bounded because
text extraction costs time per page whatever the file's size.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from bot.core.formats import FormatError, Parsed

MAX_PAGES = 2000
MAX_OUTLINE_DEPTH = 6  # Markdown has six heading levels
MAX_OUTLINE_ENTRIES = 5000
# Drawing operations read in all the pages (and the forms they draw), counted as pypdf reads them: a
# 330 KB PDF of 2,000 pages sharing one content stream of 1 MB took 2-3 s a page (over an hour). Dense
# text operations cost about 20 µs each: the PDF above is refused after 11.9 s. A single stream pypdf
# parses whole first, up to its own token limit (10 MB of operations: 12.7 s, then LimitReachedError).
# A typeset page holds a few hundred operations (an estimate: no real PDF was at hand to count), so a
# 1,000-page book should still fit.
MAX_OPERATIONS = 500_000

log = logging.getLogger(__name__)


def parse_pdf(data: bytes) -> Parsed:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns about every odd object it repairs
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise FormatError("the PDF is encrypted")
        if len(reader.pages) > MAX_PAGES:
            raise FormatError(f"the PDF has {len(reader.pages):,} pages; the limit is {MAX_PAGES:,}")
        headings = _outline(reader)
        budget = _Budget()
        pages = [page.extract_text(visitor_operand_before=budget) or "" for page in reader.pages]
        title = _title(reader)
    except FormatError:
        raise
    except _TooMuchWork:
        raise FormatError(
            f"the PDF's pages hold more than {MAX_OPERATIONS:,} drawing operations; too much to read"
        ) from None
    except Exception as error:
        # The one broad catch in the core, on purpose: pypdf raises a dozen kinds (its own, ValueError,
        # KeyError, struct.error, ZeroDivisionError, ...) on damaged or hostile files, and one bad PDF
        # must be a skipped file with a reason, never a failed index build.
        raise FormatError(f"not a readable PDF ({type(error).__name__}: {str(error)[:120]})") from None
    body = "\n\n".join(
        _page_text(number, text, headings.get(number, [])) for number, text in enumerate(pages)
    )
    if not body.strip():
        raise FormatError("the PDF has no text (a scan without a text layer?)")
    return Parsed(title, body)


class _TooMuchWork(Exception):
    pass


class _Budget:
    """Counts the operations pypdf reads (its visitor is called before each one) and stops it past
    MAX_OPERATIONS."""

    def __init__(self) -> None:
        self.left = MAX_OPERATIONS

    def __call__(self, operator: Any, operands: Any, cm: Any, tm: Any) -> None:
        self.left -= 1
        if self.left < 0:
            raise _TooMuchWork()


def _title(reader: Any) -> str:
    metadata = reader.metadata
    title = metadata.title if metadata is not None else None
    return str(title).strip() if title else ""


def _outline(reader: Any) -> dict[int, list[tuple[int, str]]]:
    """Page index -> [(level, title)] of the outline entries that point at it, in the outline's order."""
    by_page: dict[int, list[tuple[int, str]]] = {}
    _walk_outline(reader, reader.outline, 1, by_page)
    return by_page


def _walk_outline(
    reader: Any, entries: list[Any], level: int, by_page: dict[int, list[tuple[int, str]]]
) -> None:
    # pypdf gives an entry's children as a list right after it; depth is bounded by Markdown's six levels.
    for entry in entries:
        if sum(len(found) for found in by_page.values()) >= MAX_OUTLINE_ENTRIES:
            return
        if isinstance(entry, list):
            if level < MAX_OUTLINE_DEPTH:
                _walk_outline(reader, entry, level + 1, by_page)
            continue
        page = reader.get_destination_page_number(entry)
        title = " ".join(str(entry.title or "").split())
        if page is not None and page >= 0 and title:
            by_page.setdefault(page, []).append((level, title))


def _page_text(number: int, text: str, headings: list[tuple[int, str]]) -> str:
    """The page's text with its outline headings put before the lines that hold their titles (the
    line is then dropped: the heading says it), else at the page's start."""
    lines = [_escape_hashes(line) for line in text.splitlines()]
    # Each title's lines, found in one pass: a page with thousands of outline entries stays linear.
    where: dict[str, list[int]] = {}
    for index, line in enumerate(lines):
        where.setdefault(" ".join(line.split()).casefold(), []).append(index)
    inserts: list[tuple[int, str]] = []
    for level, title in headings:
        found = where.get(title.casefold())
        at = found.pop(0) if found else None
        if at is not None:
            lines[at] = ""
        inserts.append((at or 0, f"{'#' * level} {title} {{#page={number + 1}}}"))
    # From the last position back, so earlier positions stay valid; at one position, the outline's order.
    for _, (at, heading) in sorted(enumerate(inserts), key=lambda item: (item[1][0], item[0]), reverse=True):
        lines[at:at] = ["", heading, ""]
    return "\n".join(lines)


def _escape_hashes(line: str) -> str:
    """A line of the page's own text that starts with `#` is text, not a heading."""
    return "\\" + line if line.lstrip().startswith("#") else line
