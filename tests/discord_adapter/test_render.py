"""Pure rendering: answers, refusals and reports within Discord's limits."""

from __future__ import annotations

from dataclasses import replace

from bot.core.answer import Answer, Source
from bot.core.chunking import Passage
from bot.core.documents import SkippedFile
from bot.core.indexer import BuildReport
from bot.core.search import Hit
from bot.core.service import Article
from bot.discord_adapter import render
from bot.storage import Stats


def passage(
    title: str, section: str = "Intro", url: str | None = "https://example.org", text: str = "Text."
) -> Passage:
    fields = Passage.__dataclass_fields__
    values = {name: "" for name in fields}
    values.update(title=title, section=section, url=url, text=text, doc_path=f"{title}.md")
    for name, field in fields.items():
        if name not in ("title", "section", "url", "text", "doc_path") and field.type in (
            "int",
            "tuple[str, ...]",
        ):
            values[name] = 0 if field.type == "int" else ()
    return Passage(**values)


def answer(sentences=("PyTorch is installed with pip.",), sources=None, **kwargs) -> Answer:
    sources = (
        sources
        if sources is not None
        else (Source("PyTorch", "Install", "pytorch.md", "https://pytorch.org/", 0.8),)
    )
    values = dict(
        question="How do I install PyTorch?",
        answered=True,
        text=" ".join(sentences),
        confidence=0.78,
        sentences=tuple(sentences),
        sources=tuple(sources),
        hits=(),
    )
    values.update(kwargs)
    return Answer(**values)


def test_answer_embed_has_sentences_numbered_linked_sources_and_confidence():
    embed = render.answer_embed(
        answer(
            sources=(
                Source("PyTorch", "Install", "pytorch.md", "https://pytorch.org/", 0.8),
                Source("GPU [setup]", "GPU [setup]", "gpu.md", None, 0.7),
            )
        )
    )
    assert embed.description == "PyTorch is installed with pip."
    assert embed.fields[0].value == "1. [PyTorch — Install](https://pytorch.org/)\n2. GPU (setup)"
    assert embed.footer.text.startswith("Confidence 78%")


def test_long_answers_are_trimmed_to_discords_limits_without_an_open_code_block():
    long = ("word " * 2000, "```python\n" + "x = 1\n" * 2000 + "```")
    embed = render.answer_embed(answer(sentences=long, question="q" * 500))
    assert len(embed.description) <= render.EMBED_DESCRIPTION_LIMIT and embed.description.endswith("…")
    assert embed.description.count("```") % 2 == 0
    assert len(embed.title) <= render.EMBED_TITLE_LIMIT
    assert len(embed) <= render.EMBED_TOTAL_LIMIT


def test_no_answer_says_so_plainly_with_the_closest_titles():
    text = render.no_answer_text(
        answer(answered=False, sentences=(), sources=(), suggestions=("JAX", "Keras"))
    )
    assert "isn't in the knowledge base" in text and "• JAX\n• Keras" in text
    assert len(text) <= render.CONTENT_LIMIT


def test_split_text_keeps_every_piece_within_the_limit():
    text = "\n\n".join(f"Paragraph {i} " + "word " * 100 for i in range(30))
    pieces = render.split_text(text, 2000)
    assert all(len(p) <= 2000 for p in pieces) and " ".join(pieces).split() == text.split()


def test_more_sources_shows_only_the_passages_the_answer_does_not_cite():
    scores = [0.9 - i / 10 for i in range(4)]
    hits = tuple(
        Hit(passage(f"T{i}", text="A long passage. " * 50), i, dense=s, lexical=0.0)
        for i, s in enumerate(scores)
    )
    hits = tuple(Hit(replace(h.passage, id=f"p{i}"), i, h.dense, h.lexical) for i, h in enumerate(hits))

    def cites(*rows):
        return tuple(Source(f"T{r}", "Intro", f"T{r}.md", None, scores[r], (f"p{r}",)) for r in rows)

    embed = render.more_sources_embed(answer(hits=hits, sources=cites(0, 1)))
    assert [f.name.split(" ")[0] for f in embed.fields] == ["3.", "4."]
    assert all(len(f.value) <= render.EMBED_FIELD_VALUE_LIMIT for f in embed.fields)
    skipped_second = render.more_sources_embed(answer(hits=hits, sources=cites(1)))
    assert [f.name.split(" — ")[0] for f in skipped_second.fields] == ["2. T0", "3. T2", "4. T3"]
    assert "no further" in render.more_sources_embed(answer(hits=hits[:1], sources=cites(0))).description


def test_article_pages():
    articles = [Article(f"a{i}.md", f"Article {i}", 3) for i in range(23)]
    assert render.page_count(23) == 3 and render.page_count(0) == 1
    last = render.article_page(articles, 2)
    assert last.footer.text == "Page 3 of 3" and last.description.count("\n") == 2
    assert render.article_page(articles, 99).footer.text == "Page 3 of 3"


def test_reindex_summary_and_stats():
    report = BuildReport(
        articles=15,
        passages=200,
        embedded=12,
        reused=500,
        skipped=(),
        seconds=2.25,
        added=("quokka.md",),
        removed=("keras.md",),
    )
    text = render.reindex_summary(report)
    assert text.startswith("Reindexed in 2.2 s: 15 articles, 200 passages.")
    assert "Added: `quokka.md`" in text and "Removed: `keras.md`" in text and "Embedded 12" in text
    stats = render.stats_embed(Stats(None, 4, 1, 2, 1, (("What is Quokka?", 2),)), "the last 7 days")
    values = [f.value for f in stats.fields]
    assert values[:3] == ["4", "1 (25%)", "👍 2 · 👎 1"] and "2× What is Quokka?" in values[3]


def test_thread_names_fit():
    assert len(render.thread_name("why " * 100)) <= render.THREAD_NAME_LIMIT
    assert render.thread_name("  ") == "Question"


def test_file_names_with_newlines_and_backticks_stay_on_one_line():
    report = BuildReport(
        articles=1,
        passages=2,
        embedded=0,
        reused=0,
        skipped=(SkippedFile("bad\nname.md", "bad front matter: x"),),
        seconds=0.1,
        added=("new\nline`.md",),
    )
    text = render.reindex_summary(report)
    assert "`new\\nline'.md`" in text and "`bad\\nname.md`" in text
    page = render.article_page([Article("two\nlines.md", "Title\nsplit", 1)], 0)
    assert page.description.count("\n") == 0 and "two\\nlines.md" in page.description
    embed = render.answer_embed(answer(sources=(Source("A\nB", "", "a.md", None, 0.9),)))
    assert embed.fields[0].value == "1. A\\nB"


def test_citations_name_their_collection_only_beside_a_server_collection():
    from bot.discord_adapter.render import source_line

    assert source_line(1, "Quokka", "Installing", None, "server") == "1. Quokka — Installing (this server)"
    assert source_line(2, "JAX", "", "https://jax.dev", "base") == "2. [JAX](https://jax.dev) (base)"
    assert source_line(2, "JAX", "", "https://jax.dev") == "2. [JAX](https://jax.dev)"


LYING_LINKS = [
    "Download it from [https://pytorch.org](https://evil.example/x).",
    "Download it from [pytorch.org](https://evil.example/x).",
    "Download it from [**www.pytorch.org/get**](<https://evil.example/x>).",
    "Download it from [[https://pytorch.org]](https://evil.example/x(1)).",
    "Download it from [https://pytorch.org [docs]](https://evil.example/x).",
    "Download it from [pytorch。org](https://evil.example/x).",
]


def masked_links(text: str) -> list[str]:
    """The labels Discord would show as links: `[label](` with the label back to the first `[`."""
    import re

    return [m.group(1) for m in re.finditer(r"\[([^\n]*?)\]\(", text)]


def test_an_answer_never_shows_a_link_whose_text_is_another_url():
    for sentence in LYING_LINKS:
        embed = render.answer_embed(answer(sentences=(sentence,)))
        assert masked_links(embed.description) == [], embed.description
        assert "evil.example/x" in embed.description  # the real target is shown instead
        lying = replace(answer(), answered=False, suggestions=(sentence,))
        assert masked_links(render.no_answer_text(lying)) == []
        hit = Hit(passage("PyTorch", text=sentence), 0, dense=0.5, lexical=0.0)
        extra = replace(answer(sources=()), hits=(hit,))
        assert masked_links(render.more_sources_embed(extra).fields[0].value) == []


def test_a_masked_link_with_words_for_its_text_is_kept():
    text = "Read [the install guide](https://pytorch.org/get-started) first."
    assert render.answer_embed(answer(sentences=(text,))).description == text
