"""YAML front matter, parsed with bounded work.

An article is untrusted input. Plain `yaml.safe_load` expands aliases: nine levels of `&a [*a, *a, ...]`
in 471 bytes become a billion list items once anything walks them (`str(tags)` took 85 s and 3 GB).
Front matter never needs aliases, so they are refused, and size and nesting are bounded too.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

# The block between the `---` lines (what python-frontmatter recognises, so existing articles parse alike).
BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)
# A title, a url, a few tags and a date fit in a few hundred bytes; 64 KB leaves room for any real header.
MAX_FRONT_MATTER_CHARS = 65_536
# Front matter is flat key: value pairs (a tag list at most); deeper nesting is only ever an attack.
MAX_DEPTH = 16


class FrontMatterError(ValueError):
    """The front matter can't be used; the message is the reason shown to the user."""


class _BoundedLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML has no type hints: Any
    """SafeLoader that refuses aliases and nesting deeper than MAX_DEPTH while composing the document,
    before any object is built (the C loader can't be hooked this way; front matter is small)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise FrontMatterError(f"YAML aliases (*name) are not allowed (line {mark.line + 1})")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise FrontMatterError(f"nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(metadata, body) of an article's text; ({}, text) when it has no front matter.

    Raises FrontMatterError with a one-line reason when the front matter is there but unusable.
    """
    text = text.strip()
    if not BOUNDARY.match(text):
        return {}, text
    parts = BOUNDARY.split(text, 2)
    if len(parts) < 3:  # an opening line of dashes and no closing one: a horizontal rule, not a header
        return {}, text
    _, header, body = parts
    if len(header) > MAX_FRONT_MATTER_CHARS:
        raise FrontMatterError(
            f"front matter is {len(header):,} characters; the limit is {MAX_FRONT_MATTER_CHARS:,}"
        )
    loader = None
    try:
        loader = _BoundedLoader(header)  # the reader refuses control characters already here
        data = loader.get_single_data()
    except yaml.YAMLError as error:
        raise FrontMatterError(str(error).splitlines()[0]) from None
    except (ValueError, TypeError, OverflowError) as error:
        # SafeLoader's constructors raise plain errors for some scalars (a date like 2026-13-45).
        if isinstance(error, FrontMatterError):
            raise
        raise FrontMatterError(f"unreadable value: {error}") from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        return {}, body.strip()
    if not isinstance(data, dict):
        raise FrontMatterError("expected key: value pairs")
    return data, body.strip()
