"""Article formats other than plain Markdown and text, each turned into Markdown-style text.

Pure functions on an article's text or bytes: each returns (title, body, metadata) with `#` headings
(anchors as `{#id}`, see bot.core.anchors) and raises FormatError with a reason when the input is not
what its name says. Heavy parsing libraries are imported inside the functions that need them, so
starting the bot or `qabot ask` pays nothing for formats it never reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class FormatError(ValueError):
    """The bytes can't be read as the format their name says; `str()` is the reason, for the user."""


@dataclass(frozen=True)
class Parsed:
    title: str
    body: str
    meta: dict[str, Any] = field(default_factory=dict)
