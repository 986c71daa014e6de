"""Knowledge files -> Documents.

Markdown, MDX, text and reStructuredText may start with YAML front matter; HTML gives its title and links
through its own tags; PDF and notebooks are read by bot.core.formats. Every body is normalised to
Markdown-style `#` headings (with `{#anchor}`s where the format has them) so chunking has one format.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.core.anchors import split_heading_id
from bot.core.formats import FormatError
from bot.core.formats.html import parse_html
from bot.core.formats.mdx import mdx_to_markdown
from bot.core.formats.notebook import parse_notebook
from bot.core.formats.pdf import parse_pdf
from bot.core.front_matter import FrontMatterError, split_front_matter
from bot.core.knowledge_files import (
    DEFAULT_MAX_ARTICLE_BYTES,
    SUPPORTED_SUFFIXES,
    SkippedFile,
    read_knowledge_files,
)
from bot.errors import EmptyKnowledgeBase, InvalidArticle, KnowledgeDirMissing

log = logging.getLogger(__name__)

__all__ = ["SUPPORTED_SUFFIXES", "Document", "LoadResult", "SkippedFile", "load_documents", "parse_document"]
MAX_URL_CHARS = 2000  # longer "URLs" are not links anyone follows (browsers' own practical limit)
LINK_ESCAPES = str.maketrans({"(": "%28", ")": "%29", "<": "%3C", ">": "%3E"})
# Characters that reStructuredText uses to underline section titles.
RST_UNDERLINE = set("=-~^\"'`#*+:._")


@dataclass(frozen=True)
class Document:
    """One article: `path` is relative to the knowledge directory, in POSIX form."""

    path: str
    title: str
    body: str
    url: str | None = None
    tags: tuple[str, ...] = ()
    updated: str | None = None
    content_hash: str = ""


@dataclass(frozen=True)
class LoadResult:
    documents: tuple[Document, ...]
    skipped: tuple[SkippedFile, ...] = field(default=())


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def load_documents(root: Path, max_bytes: int = DEFAULT_MAX_ARTICLE_BYTES) -> LoadResult:
    """Read every article under `root`; broken ones are reported in `skipped`, never raised.

    Nothing outside `root` is read (see knowledge_files); a file over `max_bytes` is skipped unread.
    """
    if not root.is_dir():
        raise KnowledgeDirMissing(root)
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    for found in read_knowledge_files(root, max_bytes):
        if isinstance(found, SkippedFile):
            log.warning("skipping %s: %s", found.path, found.reason)
            skipped.append(found)
            continue
        try:
            documents.append(parse_document(found.path, found.data))
        except InvalidArticle as error:
            log.warning("skipping %s: %s", found.path, error.reason)
            skipped.append(SkippedFile(found.path, error.reason))
    if not documents:
        raise EmptyKnowledgeBase(root, skipped=len(skipped))
    return LoadResult(tuple(documents), tuple(skipped))


def parse_document(relative: str, raw: bytes) -> Document:
    """Parse one file's bytes; raises InvalidArticle with the reason when it can't be used.

    The format follows the name's suffix (see SUPPORTED_SUFFIXES); PDF is read as bytes, every other
    format as UTF-8 text."""
    suffix = Path(relative).suffix.lower()
    try:
        title, body, meta = _parse_format(relative, suffix, raw)
    except FormatError as error:
        raise InvalidArticle(relative, str(error)) from None
    if not body.strip():
        raise InvalidArticle(relative, "empty article (no text after the front matter)")
    title = title or _first_heading(body) or Path(relative).stem.replace("-", " ").replace("_", " ")
    return Document(
        path=relative,
        title=title,
        body=body.strip() + "\n",
        url=_link(meta.get("url")),
        tags=_tags(meta),
        updated=_optional_str(meta.get("updated")),
        content_hash=content_hash(raw),
    )


def _parse_format(relative: str, suffix: str, raw: bytes) -> tuple[str, str, dict[str, Any]]:
    if suffix == ".pdf":
        parsed = parse_pdf(raw)
        return parsed.title, parsed.body, parsed.meta
    text = _decode(relative, raw)
    if suffix in (".html", ".htm"):
        parsed = parse_html(text)
        return parsed.title, parsed.body, parsed.meta
    if suffix == ".ipynb":
        parsed = parse_notebook(text)
        return parsed.title, parsed.body, parsed.meta
    meta, body = _split_front_matter(relative, text)
    if suffix == ".rst":
        body = rst_to_markdown_headings(body)
    elif suffix == ".mdx":
        body = mdx_to_markdown(body)
    return str(meta.get("title") or "").strip(), body, meta


def _decode(relative: str, raw: bytes) -> str:
    if b"\x00" in raw[:8192]:
        raise InvalidArticle(relative, "binary file (contains NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidArticle(relative, f"not valid UTF-8 (byte {error.start})") from None


def _split_front_matter(relative: str, text: str) -> tuple[dict[str, Any], str]:
    try:
        return split_front_matter(text)
    except FrontMatterError as error:
        raise InvalidArticle(relative, f"bad front matter: {error}") from None


def rst_to_markdown_headings(body: str) -> str:
    """Turn reStructuredText underlined titles into `#` headings, by order of first appearance."""
    lines = body.splitlines()
    levels: list[str] = []
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        marker = following[:1]
        is_title = (
            line.strip()
            and marker in RST_UNDERLINE
            and set(following.strip()) == {marker}
            and len(following.strip()) >= len(line.strip())
        )
        if is_title:
            if marker not in levels:
                levels.append(marker)
            out.append("#" * min(levels.index(marker) + 1, 6) + " " + line.strip())
            index += 2
            continue
        out.append(line)
        index += 1
    return "\n".join(out)


def _first_heading(body: str) -> str:
    for line in body.splitlines():
        if line.startswith("#"):
            return split_heading_id(line.lstrip("#").strip())[0]
    return ""


def _link(value: object) -> str | None:
    """The article's URL as citations link it: http(s) with a host, else none (`javascript:`, a path);
    whitespace or control characters refuse it, and `( ) < >` are percent-encoded, so it can't end the
    Markdown link `[title](url)` early and add a link of its own."""
    url = _optional_str(value)
    if url is None or len(url) > MAX_URL_CHARS or any(c.isspace() or not c.isprintable() for c in url):
        return None
    scheme, separator, rest = url.partition("://")
    if scheme.lower() not in ("http", "https") or not separator or not rest[:1].isalnum():
        return None
    return url.translate(LINK_ESCAPES)


def _optional_str(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _tags(meta: dict[str, Any]) -> tuple[str, ...]:
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    elif not isinstance(tags, list):  # `tags: 5` or a mapping: one tag, not something to iterate
        tags = [tags]
    framework = meta.get("framework")
    values = [str(t) for t in tags if t] + ([str(framework)] if framework else [])
    return tuple(dict.fromkeys(values))
