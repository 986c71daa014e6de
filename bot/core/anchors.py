"""Section anchors: where in a page a citation points.

A heading may carry its anchor the way Pandoc, MkDocs and Docusaurus write it, `## Install {#install}`.
HTML articles get one from the heading's `id`, PDF sections from their page (`#page=3`, which PDF viewers
open at), and Markdown read from a repository from the slug its web host makes of the heading (GitHub's
rules: lower case, punctuation dropped, spaces to hyphens, a repeat numbered `-1`, `-2`, ...).
Chunking strips the anchor from the heading and appends it to the article's URL for that section's passages.
"""

from __future__ import annotations

import re

# `{#id}` at the end of a heading; an id is any run of characters that needs no escaping in a URL
# fragment (HTML ids are rarely anything else, and one that is can't be linked to as written anyway).
HEADING_ID = re.compile(r"\{#([A-Za-z0-9_.:=~%+-]{1,200})\}\s*$")
HEADING_LINE = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
# What GitHub's slugger drops: everything but letters, digits, marks, spaces, hyphens and underscores.
SLUG_DROPPED = re.compile(r"[^\w\- ]", re.UNICODE)


def split_heading_id(heading: str) -> tuple[str, str | None]:
    """(the heading's text, its `{#id}` or None)."""
    match = HEADING_ID.search(heading)
    if match is None:
        return heading, None
    return heading[: match.start()].rstrip(), match.group(1)


def github_slug(heading: str, seen: dict[str, int]) -> str:
    """The anchor GitHub gives a heading; `seen` counts slugs already given in the same document."""
    base = SLUG_DROPPED.sub("", heading.strip().lower()).replace(" ", "-")
    count = seen.get(base, 0)
    seen[base] = count + 1
    return base if count == 0 else f"{base}-{count}"


def with_slug_ids(body: str) -> str:
    """Markdown with `{#slug}` added to each heading (outside code blocks) that has no id of its own."""
    seen: dict[str, int] = {}
    lines: list[str] = []
    in_fence = False
    for line in body.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else HEADING_LINE.match(line)
        if heading:
            text, anchor = split_heading_id(heading.group(2))
            slug = github_slug(text, seen)
            line = f"{heading.group(1)} {text} {{#{anchor or slug}}}" if (anchor or slug) else line
        lines.append(line)
    return "\n".join(lines)


def section_url(url: str | None, anchor: str | None) -> str | None:
    """The article's URL pointed at a section (any fragment it had replaced)."""
    if url is None or anchor is None:
        return url
    return f"{url.split('#', 1)[0]}#{anchor}"
