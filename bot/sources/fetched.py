"""A fetched response -> the article Document it holds, and the links a page offers to a crawl."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit, urlunsplit

from bot.core.documents import Document, parse_document
from bot.core.formats.html import MAX_ELEMENTS
from bot.core.knowledge_files import SUPPORTED_SUFFIXES
from bot.sources.http import Response

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# What a page of a website may be; a file URL may also come as a generic type (raw file hosts send
# text/plain or application/octet-stream for notebooks and PDFs), its name saying what it is.
PAGE_TYPES = HTML_TYPES | {"text/plain", "text/markdown", "text/x-markdown", "application/pdf"}
FILE_TYPES = PAGE_TYPES | {
    "application/json",
    "application/x-ipynb+json",
    "application/octet-stream",
    "text/x-rst",
}
TAG_START = re.compile(rb"<[A-Za-z]")  # the count parse_html bounds, on the undecoded page
SITEMAP_TYPES = frozenset({"application/xml", "text/xml", "application/x-xml", "text/plain"})
BY_TYPE = {"text/markdown": ".md", "text/x-markdown": ".md", "application/pdf": ".pdf", "text/x-rst": ".rst"}


def format_suffix(response: Response) -> str:
    """The suffix the core's parser reads the body as: from the content type, else from the URL's name."""
    if response.content_type in HTML_TYPES:
        return ".html"
    if response.content_type in BY_TYPE:
        return BY_TYPE[response.content_type]
    suffix = PurePosixPath(urlsplit(response.url).path).suffix.lower()
    if suffix in SUPPORTED_SUFFIXES:
        return suffix
    return ".txt"


def response_document(response: Response) -> Document:
    """The response parsed as an article; raises InvalidArticle with the reason it can't be."""
    return parse_document(f"page{format_suffix(response)}", response.body)


def page_links(response: Response) -> list[str]:
    """The absolute http(s) links of an HTML page, without fragments or queries (docs pages seldom
    differ by query, and crawling every ?sort= would multiply the pages)."""
    if response.content_type not in HTML_TYPES:
        return []
    from bs4 import BeautifulSoup

    if sum(1 for _ in TAG_START.finditer(response.body)) > MAX_ELEMENTS:  # as parse_html refuses it
        return []

    soup = BeautifulSoup(response.body, "html.parser")
    links = []
    for anchor in soup.find_all("a", href=True):
        absolute = normalise(urljoin(response.url, str(anchor["href"])))
        if absolute:
            links.append(absolute)
    return list(dict.fromkeys(links))


def normalise(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", "", ""))
