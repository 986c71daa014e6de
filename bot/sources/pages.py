"""A source's articles on disk: safe file names for fetched pages, and the article each page becomes.

A page's URL or a repository's file path is data from someone else, never a path: it is mapped to
lower-case segments of [a-z0-9._-] (no empty, dot-only or hidden segment, bounded length and depth)
inside `knowledge/sources/<name>/`, and every write is checked to land inside that folder. Each article
is written atomically (a reader sees the old page or the new one), so a failed fetch leaves the last good
copy in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import unicodedata
from pathlib import Path, PurePosixPath

import yaml

from bot.core.anchors import with_slug_ids
from bot.core.documents import Document
from bot.core.files import write_atomically
from bot.errors import SourceRefused

SOURCES_FOLDER = "sources"  # inside the knowledge folder, reserved for synced sources
UNSAFE = re.compile(r"[^a-z0-9._-]+")
MAX_SEGMENT = 80
MAX_DEPTH = 8
MAX_TITLE = 300
# Page suffixes replaced by .md; others (".v2") stay part of the name.
PAGE_SUFFIXES = (
    ".html",
    ".htm",
    ".php",
    ".aspx",
    ".md",
    ".mdx",
    ".markdown",
    ".rst",
    ".txt",
    ".ipynb",
    ".pdf",
)


def source_folder(knowledge_dir: Path, name: str) -> Path:
    return knowledge_dir / SOURCES_FOLDER / name


def article_name(relative: str) -> str:
    """`guide/Install Me.html` -> `guide/install-me.md`; an empty path (the site's root) -> `index.md`."""
    segments = [_segment(part) for part in PurePosixPath(relative).parts if part not in ("/", "")]
    segments = [segment for segment in segments if segment][:MAX_DEPTH]
    if not segments or relative.endswith("/"):
        segments.append("index")
    stem = segments[-1]
    for suffix in PAGE_SUFFIXES:
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)].rstrip(".-_") or "index"
            break
    return "/".join([*segments[:-1], f"{stem}.md"])


def _segment(part: str) -> str:
    # Accents dropped rather than the letters ("Ünïcode" -> "unicode"); other scripts become hyphens.
    ascii_part = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode()
    segment = UNSAFE.sub("-", ascii_part.lower()).strip(".-_")  # a leading . or _ would hide it from indexing
    return re.sub(r"\.{2,}", ".", segment)[:MAX_SEGMENT]


def unique_name(wanted: str, key: str, taken: set[str]) -> str:
    """`wanted`, or with a short hash of the page's key when another page has that name already."""
    if wanted not in taken:
        return wanted
    stem = wanted.removesuffix(".md")
    return f"{stem}-{hashlib.sha1(key.encode()).hexdigest()[:8]}.md"


def article_text(document: Document, url: str | None, source: str, slug_anchors: bool = False) -> str:
    """The page as a Markdown article with front matter; `slug_anchors` gives its headings the anchors
    a repository host's renderer makes (see bot.core.anchors)."""
    meta: dict[str, object] = {"title": " ".join(document.title.split())[:MAX_TITLE], "source": source}
    if url:
        meta["url"] = url
    if document.tags:
        meta["tags"] = list(document.tags)
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    body = with_slug_ids(document.body) if slug_anchors else document.body
    return f"---\n{front}---\n\n{body.strip()}\n"


def write_article(folder: Path, name: str, text: str) -> None:
    target = _inside(folder, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    _inside(folder, name)  # again, now that the folders exist: none of them may be a link out
    write_atomically(target, text)


def remove_article(folder: Path, name: str) -> None:
    target = _inside(folder, name)
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    parent = target.parent
    while parent != folder and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def _inside(folder: Path, name: str) -> Path:
    """`folder/name`, refused unless it resolves inside `folder` (a planted link to elsewhere included)."""
    parts = PurePosixPath(name).parts
    if not parts or any(part in ("", ".", "..") or part.startswith((".", "_")) for part in parts):
        raise SourceRefused(name, "not a safe article name")
    root = folder.resolve()
    target = folder.joinpath(*parts)
    parent = target.parent.resolve() if target.parent.exists() else target.parent.absolute()
    if parent != root and root not in parent.parents:
        raise SourceRefused(name, f"it would be written outside {folder}")
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise SourceRefused(name, "it exists and is not a plain file (a link?)")
    return target


def remove_folder(folder: Path) -> None:
    """Delete a source's articles (links are removed, never followed)."""
    if not folder.exists() and not folder.is_symlink():
        return
    if folder.is_symlink():
        folder.unlink()
        return
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            os.unlink(os.path.join(root, name))
        for name in dirs:
            path = os.path.join(root, name)
            os.unlink(path) if os.path.islink(path) else os.rmdir(path)
    folder.rmdir()
