"""What to search with: a pasted error or traceback is a question, and its exception line is the part
that says what went wrong.

Users paste a whole traceback ("Traceback (most recent call last): File ..., line 12, in <module> ...
RuntimeError: Expected all tensors to be on the same device"). The file paths, line numbers and code
lines in it are the user's, not the knowledge base's: embedded with the rest they pull the question
towards whatever mentions the same modules. The searched text keeps the user's own words and the
exception line, without the frames; details that vary from run to run (memory addresses, device
indexes such as `cuda:0`) are generalised.
"""

from __future__ import annotations

import re

TRACEBACK_HEADER = re.compile(
    r"^\s*(?:Traceback \(most recent call last\)|During handling of the above exception, another exception"
    r" occurred|The above exception was the direct cause of the following exception):?\s*$"
)
FRAME_LINE = re.compile(r'^\s*File "[^"]*", line \d+')
# "RuntimeError: ...", "torch.cuda.OutOfMemoryError: ...", "ValueError" alone, "E   KeyError: 'x'".
EXCEPTION_LINE = re.compile(
    r"^\s*(?:E\s+)?(?P<name>(?:[A-Za-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Warning|Exit|Interrupt))"
    r"(?::\s*(?P<message>.*))?$"
)
MARKER_LINE = re.compile(r"^\s*[\^~]+\s*$")  # the carets under the failing expression
RUN_SPECIFIC = (
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), ""),
    (re.compile(r"\b(cuda|xla|mps):\d+\b"), r"\1"),
)


def search_text(question: str) -> str:
    """The text to search with for `question`: itself, unless it holds an error message."""
    lines = question.splitlines() or [question]
    exception_rows = [row for row, line in enumerate(lines) if EXCEPTION_LINE.match(line)]
    if not exception_rows:
        return question
    kept = [line for row, line in enumerate(lines) if _is_users_words(lines, row)]
    kept.append(lines[exception_rows[-1]])  # the last exception raised is the one the user saw
    text = " ".join(line.strip() for line in dict.fromkeys(kept) if line.strip())
    for pattern, replacement in RUN_SPECIFIC:
        text = pattern.sub(replacement, text)
    return " ".join(text.split()) or question


def _is_users_words(lines: list[str], row: int) -> bool:
    """A line the user wrote, as opposed to the traceback's header, frames, code and markers."""
    line = lines[row]
    if TRACEBACK_HEADER.match(line) or FRAME_LINE.match(line) or MARKER_LINE.match(line):
        return False
    if EXCEPTION_LINE.match(line):
        return False  # exception lines are added once, the last one
    previous = lines[row - 1] if row else ""
    # The source line a frame quotes comes right after it, indented.
    return not (FRAME_LINE.match(previous) and line.startswith((" ", "\t")))
