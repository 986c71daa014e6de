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


def test_escape_sequences_in_an_article_never_reach_the_terminal():
    # An article (or a synced page) could clear the screen, retitle the window or write the clipboard
    # (OSC 52) of whoever runs `qabot ask`; they are shown escaped, and the answer's lines kept.
    text = "JAX is a library \x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07for arrays.\nSecond \x9b31mline."
    answer = Answer("q?", True, text, 0.9, (text,), (), ())
    shown = render_answer(answer)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert shown.splitlines()[:2] == [
        "JAX is a library \\x1b[2J\\x1b]52;c;cm0gLXJmIH4=\\x07for arrays.",
        "Second \\x9b31mline.",
    ]
    refusal = Answer("q?", False, "That isn't in the knowledge base\x1b[8m.", 0.1, (), (), ())
    assert "\x1b" not in render_answer(refusal)


def test_a_no_break_space_or_a_tab_in_an_answer_is_shown_as_it_is():
    text = "JAX\u00a00.4 is\tfast."
    assert render_answer(Answer("q?", True, text, 0.9, (text,), (), ())).startswith(text + "\n")
