"""Jupyter notebooks -> Markdown: markdown cells as they are, code cells as fenced code, outputs dropped.

Outputs are left out because they are mostly numbers, images and tracebacks of one run, not knowledge.
The JSON is read with the standard library and checked by hand rather than by a schema library: only
the cells' types and sources are needed, and a file that is not shaped like a notebook gets one reason.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.formats import FormatError, Parsed

MAX_CELLS = 10_000


def parse_notebook(text: str) -> Parsed:
    try:
        notebook = json.loads(text)
    except RecursionError:
        raise FormatError("not a Jupyter notebook (JSON nested too deeply)") from None
    except ValueError as error:
        raise FormatError(f"not a Jupyter notebook (invalid JSON: {error})") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise FormatError('not a Jupyter notebook (no "cells" list)')
    if len(cells) > MAX_CELLS:
        raise FormatError(f"the notebook has {len(cells):,} cells; the limit is {MAX_CELLS:,}")
    language = _language(notebook.get("metadata"))
    blocks = [block for number, cell in enumerate(cells) if (block := _cell_block(number, cell, language))]
    metadata = notebook.get("metadata")
    title = metadata.get("title") if isinstance(metadata, dict) else None
    return Parsed(title if isinstance(title, str) else "", "\n\n".join(blocks))


def _language(metadata: object) -> str:
    if not isinstance(metadata, dict):
        return ""
    for key in ("language_info", "kernelspec"):
        info = metadata.get(key)
        name = info.get("name" if key == "language_info" else "language") if isinstance(info, dict) else None
        if isinstance(name, str) and name.isidentifier():
            return name
    return ""


def _cell_block(number: int, cell: Any, language: str) -> str:
    if not isinstance(cell, dict):
        raise FormatError(f"not a Jupyter notebook (cell {number + 1} is not an object)")
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        source = "".join(source)
    if not isinstance(source, str):
        raise FormatError(f"not a Jupyter notebook (cell {number + 1} has no text source)")
    source = source.strip("\n")
    if not source.strip():
        return ""
    kind = cell.get("cell_type")
    if kind == "markdown":
        return source
    if kind == "code":
        fence = "````" if "```" in source else "```"  # a fence inside the code must not close the block
        return f"{fence}{language}\n{source}\n{fence}"
    return ""  # raw cells are for converters, not readers
