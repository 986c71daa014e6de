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
# Tags of components (capitalised, or dotted like <Tabs.Item>) and fragments <> </>, with their props;
# a prop may hold a {...} expression or a quoted string with ">" in it.
COMPONENT_TAG = re.compile(r"</?(?:[A-Z][\w.]*)?(?:\s+(?:[^<>{}\"']|\"[^\"]*\"|'[^']*'|\{[^{}]*\})*)?\s*/?>")
JSX_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.DOTALL)


def mdx_to_markdown(body: str) -> str:
    out: list[str] = []
    in_fence = False
    in_module = False
    prose: list[str] = []

    def flush() -> None:
        if prose:
            text = COMPONENT_TAG.sub("", JSX_COMMENT.sub("", "\n".join(prose)))
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
