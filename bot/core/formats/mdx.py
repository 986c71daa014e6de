"""MDX -> Markdown: the imports, exports, JSX components and JSX comments are taken out.

MDX is Markdown with JSX in it (Docusaurus, Nextra and Storybook write docs in it). A component's tags
(`<Tabs>`, `<TabItem value="pip">`, `<Admonition type="tip" />`) say how to show text, not what it says,
so the tags go and the text between them stays. Code blocks are left exactly as they are.
"""

from __future__ import annotations

import re

FENCE = re.compile(r"^\s*(```|~~~)")
# `import X from "y"` / `export const meta = {...}` at the start of a line, up to the next blank line.
MODULE_LINE = re.compile(r"^(import|export)\s")
# Tags of components (capitalised, or dotted like <Tabs.Item>) with their props, and fragments <> </>.
# Written so that no two parts can match the same characters (props: runs of plain characters between
# quoted strings and {...} expressions): a tag left open on a long line costs one pass, not a blow-up.
COMPONENT_TAG = re.compile(
    r"</?(?:[A-Z][\w.]*(?:\s[^<>{}\"']*(?:(?:\"[^\"]*\"|'[^']*'|\{[^{}]*\})[^<>{}\"']*)*)?)?/?>"
)
COMMENT_OPEN, COMMENT_CLOSE = "{/*", "*/}"


def strip_comments(text: str) -> str:
    """Remove `{/* ... */}` JSX comments; an unclosed one is left as it is (found with str.find, so a
    file of unclosed openers costs one pass)."""
    pieces = []
    position = 0
    while (start := text.find(COMMENT_OPEN, position)) != -1:
        end = text.find(COMMENT_CLOSE, start + len(COMMENT_OPEN))
        if end == -1:
            break
        pieces.append(text[position:start])
        position = end + len(COMMENT_CLOSE)
    pieces.append(text[position:])
    return "".join(pieces)


def mdx_to_markdown(body: str) -> str:
    out: list[str] = []
    in_fence = False
    in_module = False
    prose: list[str] = []

    def flush() -> None:
        if prose:
            text = COMPONENT_TAG.sub("", strip_comments("\n".join(prose)))
            out.extend(line.strip() if not line.strip() else line for line in text.splitlines())
            prose.clear()

    for line in body.splitlines():
        if FENCE.match(line):
            if not in_fence:
                flush()
                out.append("")  # a tag removed just before a fence may leave prose glued to it
            in_fence = not in_fence
            out.append(line)
            continue
        if in_fence:
            out.append(line)
            continue
        if in_module or MODULE_LINE.match(line):
            in_module = bool(line.strip())  # a module statement runs until the next blank line
            continue
        prose.append(line)
    flush()
    return "\n".join(out)
