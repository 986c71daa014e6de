"""HTML -> Markdown: the page's main content, its headings with their `id`s.

Documentation sites wrap each page in navigation, sidebars, footers and cookie banners that would
otherwise be indexed with every page and then quoted as answers. trafilatura finds the main content
(what it was made for); its result is walked here into Markdown. It drops attributes, so each
heading's id is looked up in the original page by the heading's text, in order. A page too small for
trafilatura to find its structure is read whole, less the elements that are chrome by name.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from bot.core.formats import FormatError, Parsed

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# Sphinx, MkDocs and Docusaurus put a permalink symbol at the end of each heading.
PERMALINK_MARKS = " \t\n¶#§🔗"
CHROME_TAGS = ["script", "style", "nav", "footer", "header", "noscript", "aside", "form", "template"]
# Class or id names of cookie and consent banners: the word with what it is a part of ("cookie-banner",
# "consent_modal"), and the widgets' own names. Not a bare "cookie": docs about cookies are content.
CONSENT = re.compile(
    r"(cookie|consent|gdpr|privacy)[-_]?(banner|notice|bar|popup|modal|dialog|overlay|box|wrapper|message)"
    r"|cookie[-_]?consent|cookieconsent|onetrust|cookiebot|cc-window",
    re.I,
)
# Never removed for a name, whatever it says: the page itself and its sections.
CONTENT_TAGS = ("html", "body", "main", "article", "section", *HEADINGS)
BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "td"]
# Parsing costs about 0.25 ms per element on 2 cores (BeautifulSoup, then trafilatura), whatever the
# element: 2 MB of `<p>a</p>` took 67 s. A long reference page fits under 20,000 (Rust's std Vec page:
# 940 KB, 16,455 elements, 6.7 s); a page with more is refused before any parsing, so no page costs
# more than about 6 s. Text costs little: 400 KB of words in one paragraph parse in 0.5 s.
MAX_ELEMENTS = 20_000
TAG_START = re.compile(r"<[A-Za-z]")  # one character class, no repetition: linear on any input


def parse_html(text: str) -> Parsed:
    from bs4 import BeautifulSoup  # imported here: only HTML articles need it, and it slows start-up

    elements = sum(1 for _ in TAG_START.finditer(text))
    if elements > MAX_ELEMENTS:
        raise FormatError(f"too many HTML elements: {elements:,}; the limit is {MAX_ELEMENTS:,}")
    soup = BeautifulSoup(text, "html.parser")
    meta = _metadata(soup)
    title = _title(soup)
    _drop_consent_banners(soup)
    ids = _heading_ids(soup)
    has_headings = soup.find(HEADINGS) is not None
    body = _main_content(str(soup), ids, has_headings) or _whole_page(soup, _heading_ids(soup))
    return Parsed(title, body, meta)


def _title(soup: Any) -> str:
    """The <title>, less the site's name when it only adds that to the page's <h1> ("Install - MyLib
    docs" for "Install"): every citation would otherwise repeat the site's name."""
    title = " ".join(soup.title.get_text(" ").split()) if soup.title else ""
    first = soup.find("h1")
    heading = " ".join(first.get_text(" ").strip(PERMALINK_MARKS).split()) if first is not None else ""
    if heading and len(heading) < len(title) and title.casefold().startswith(heading.casefold()):
        return heading
    return title


def _drop_consent_banners(soup: Any) -> None:
    """Cookie and consent banners are ordinary <div>s that say nothing about the page; on a page with
    little text the extractor can take one for content, so they go first, by their usual names (never
    the page, its sections or headings, which some sites mark while a banner shows)."""
    found = soup.find_all(attrs={"class": CONSENT}) + soup.find_all(attrs={"id": CONSENT})
    for element in found:
        if element.name not in CONTENT_TAGS and not element.decomposed:
            element.decompose()


def _metadata(soup: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        meta["url"] = str(canonical["href"])
    keywords = soup.find("meta", attrs={"name": "keywords"})
    if keywords and keywords.get("content"):
        meta["tags"] = [k.strip() for k in str(keywords["content"]).split(",") if k.strip()]
    return meta


def heading_key(text: str) -> str:
    return " ".join(text.strip(PERMALINK_MARKS).split()).casefold()


class HeadingIds:
    """The page's headings' ids by text, handed out in page order (two headings may share a text)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        # Each text's ids in page order, taken from the front: constant time per heading (scanning the
        # list for the first unused match was quadratic: 10,000 headings of 7 texts took 10 s).
        self._by_key: dict[str, deque[str]] = {}
        for key, anchor in pairs:
            self._by_key.setdefault(key, deque()).append(anchor)

    def take(self, text: str) -> str | None:
        waiting = self._by_key.get(heading_key(text))
        return waiting.popleft() if waiting else None


def _heading_ids(soup: Any) -> HeadingIds:
    pairs = []
    for heading in soup.find_all(HEADINGS):
        anchor = _heading_id(heading)
        if anchor:
            pairs.append((heading_key(heading.get_text(" ")), anchor))
    return HeadingIds(pairs)


def _heading_id(heading: Any) -> str | None:
    """The heading's own id, else a named anchor inside it, else its permalink's target, else the id
    of the section it opens (Sphinx puts the id on the enclosing <section>)."""
    if heading.get("id"):
        return str(heading["id"])
    inner = heading.find(attrs={"id": True}) or heading.find("a", attrs={"name": True})
    if inner is not None:
        return str(inner.get("id") or inner.get("name"))
    link = heading.find("a", href=re.compile(r"^#."))
    if link is not None:
        return str(link["href"])[1:]
    parent = heading.parent
    if parent is not None and parent.name in ("section", "div") and parent.get("id"):
        first = parent.find(HEADINGS)
        if first is heading:
            return str(parent["id"])
    return None


def heading_line(level: int, text: str, anchor: str | None) -> str:
    text = " ".join(text.strip(PERMALINK_MARKS).split())
    return "#" * level + " " + text + (f" {{#{anchor}}}" if anchor and _safe_anchor(anchor) else "")


def _safe_anchor(anchor: str) -> bool:
    from bot.core.anchors import HEADING_ID

    return HEADING_ID.fullmatch(f"{{#{anchor}}}") is not None


def _main_content(text: str, ids: HeadingIds, has_headings: bool) -> str:
    """The main content as Markdown; "" when trafilatura finds none, or flattens a page that has
    headings into one paragraph (its last resort for pages below its minimum size)."""
    import trafilatura
    from lxml import etree

    extracted = trafilatura.extract(
        text, output_format="xml", include_formatting=True, include_tables=True, include_comments=False
    )
    if not extracted:
        return ""
    root = etree.fromstring(extracted.encode("utf-8"))
    main = root.find("main")
    if main is None or (has_headings and main.find("head") is None):
        return ""
    return "\n\n".join(part for element in main for part in _element_lines(element, ids) if part.strip())


def _inline(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _element_lines(element: Any, ids: HeadingIds) -> list[str]:
    tag = element.tag
    if tag == "head":
        rend = str(element.get("rend") or "h2")
        level = int(rend[1]) if len(rend) == 2 and rend[1].isdigit() else 2
        text = _inline(element)
        return [heading_line(level, text, ids.take(text))] if text else []
    if tag == "code":
        code = "".join(element.itertext()).strip("\n")
        return [f"```\n{code}\n```"] if code.strip() else []
    if tag == "list":
        return ["\n".join(f"- {_inline(item)}" for item in element.iter("item") if _inline(item))]
    if tag == "table":
        rows = (" | ".join(_inline(cell) for cell in row.iter("cell")) for row in element.iter("row"))
        return ["\n".join(row for row in rows if row.strip())]
    if tag == "quote":
        return ["> " + _inline(element)]
    if tag in ("p", "div"):
        return [_inline(element)]
    return []


def _whole_page(soup: Any, ids: HeadingIds) -> str:
    for tag in soup(CHROME_TAGS):
        tag.decompose()
    root = soup.body or soup
    lines: list[str] = []
    for element in root.find_all(BLOCKS):
        if element.find_parent(["p", "li", "pre", "blockquote", "td"]):
            continue  # its text is already in the enclosing block
        content = element.get_text(" ", strip=element.name != "pre")
        if not content.strip():
            continue
        if element.name in HEADINGS:
            lines.append(heading_line(int(element.name[1]), content, ids.take(content)))
        elif element.name == "li":
            lines.append("- " + content)
        else:
            lines.append(content)
    return "\n\n".join(lines)
