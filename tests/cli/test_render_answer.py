"""The CLI's plain-text answer: one line per source whatever the file is called."""

from __future__ import annotations

from bot.cli import one_line, render_answer
from bot.core.answer import Answer, Source


def test_a_file_name_with_a_newline_does_not_split_the_sources_line():
    source = Source("Evil\ntitle", "Sec\x1b[31mtion", "new\nline.md", "https://x.org/\n", 0.9)
    answer = Answer("q?", True, "An answer.", 0.9, ("An answer.",), (source,), ())
    lines = render_answer(answer).splitlines()
    assert lines[3] == "  [1] Evil\\ntitle › Sec\\x1b[31mtion (new\\nline.md) <https://x.org/\\n>"
    assert len(lines) == 5


def test_one_line_keeps_ordinary_unicode():
    assert one_line("Ünïcode naïve — ok › 東京") == "Ünïcode naïve — ok › 東京"
