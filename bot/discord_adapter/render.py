"""Pure formatting: core results -> Discord embeds and text, always within Discord's limits."""

from __future__ import annotations

import re
from collections.abc import Sequence

import discord

from bot.core.answer import Answer
from bot.core.indexer import BuildReport
from bot.core.service import Article
from bot.display import one_line
from bot.storage import Stats

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
THREAD_NAME_LIMIT = 100
SNIPPET_CHARS = 300
ARTICLES_PER_PAGE = 10
ELLIPSIS = "…"

ANSWER_COLOUR = discord.Colour.blurple()
NO_ANSWER_COLOUR = discord.Colour.light_grey()


def trim(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, marked with an ellipsis when something was cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    if cut.count("```") % 2:  # never leave a code block open: the rest of the embed would render as code
        cut = cut[: cut.rfind("```")].rstrip()
    return cut + ELLIPSIS


def code(text: str) -> str:
    """`text` as inline code; a backtick in it would end the span early, so it becomes a quote."""
    return "`" + one_line(text).replace("`", "'") + "`"


def split_text(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """`text` split into pieces of at most `limit` characters, preferring paragraph and line breaks."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest else pieces


# Discord shows `[label](target)` as `label` linked to `target`, so text from an article (a moderator's, or
# a synced page) could show one address and open another. A label that looks like an address (a scheme,
# or a dotted host name; browsers read `。` and `．` as dots too) is a lie in waiting.
MASKED_LINK_END = re.compile(r"\]\(")
ADDRESS_LIKE = re.compile(r"[:：]//|[\w-][.。．｡][a-z]{2,}", re.IGNORECASE)


def honest_links(text: str) -> str:
    """`text` with every masked link whose label looks like an address broken into plain `[label] (target)`,
    which shows both. The label is read from the first `[` since the previous link, as Discord may nest."""
    pieces: list[str] = []
    start = 0
    for end in MASKED_LINK_END.finditer(text):
        segment = text[start : end.start()]
        opening = segment.find("[")
        if opening != -1 and ADDRESS_LIKE.search(segment, opening + 1):
            pieces.append(text[start : end.start()] + "] (")
        else:
            pieces.append(text[start : end.end()])
        start = end.end()
    return "".join(pieces) + text[start:]


COLLECTION_LABELS = {"server": "this server", "base": "base"}


def source_line(number: int, title: str, section: str, url: str | None, collection: str = "") -> str:
    """A numbered citation; beside a server's own collection, it says which collection it is from."""
    label = title if not section or section == title else f"{title} — {section}"
    label = trim(
        one_line(label).replace("[", "(").replace("]", ")"), 200
    )  # brackets would break the link syntax
    where = f" ({COLLECTION_LABELS.get(collection, collection)})" if collection else ""
    return f"{number}. [{label}]({url}){where}" if url else f"{number}. {label}{where}"


def answer_embed(answer: Answer) -> discord.Embed:
    """The embed for an answered question: the sentences, numbered sources, confidence."""
    embed = discord.Embed(
        title=trim(answer.question, EMBED_TITLE_LIMIT),
        description=trim(honest_links("\n\n".join(answer.sentences) or answer.text), EMBED_DESCRIPTION_LIMIT),
        colour=ANSWER_COLOUR,
    )
    lines = [source_line(i, s.title, s.section, s.url, s.collection) for i, s in enumerate(answer.sources, 1)]
    if lines:
        embed.add_field(name="Sources", value=trim("\n".join(lines), EMBED_FIELD_VALUE_LIMIT), inline=False)
    embed.set_footer(text=f"Confidence {answer.confidence:.0%} · was this helpful? Vote below.")
    return embed


def no_answer_text(answer: Answer) -> str:
    """Plain words when the knowledge base has no answer, with the closest article titles."""
    text = "That isn't in the knowledge base, so I won't guess."
    if answer.suggestions:
        titles = "\n".join(f"• {trim(honest_links(title), 200)}" for title in answer.suggestions)
        text += f"\nThe closest articles are:\n{titles}"
    return trim(text, CONTENT_LIMIT)


def more_sources_embed(answer: Answer) -> discord.Embed:
    """The passages the answer doesn't cite, with a snippet each (the "More sources" button), numbered
    on from its sources."""
    embed = discord.Embed(title=trim(f"More sources: {answer.question}", EMBED_TITLE_LIMIT))
    extra = answer.uncited_hits()
    if not extra:
        embed.description = "There are no further passages on this."
        return embed
    for number, hit in enumerate(extra[:5], len(answer.sources) + 1):
        p = hit.passage
        where = f", {COLLECTION_LABELS.get(hit.collection, hit.collection)}" if hit.collection else ""
        name = trim(f"{number}. {p.title} — {p.section} ({hit.score:.0%}{where})", EMBED_FIELD_NAME_LIMIT)
        snippet = trim(honest_links(" ".join(p.text.split())), SNIPPET_CHARS)
        value = f"{snippet}\n<{p.url}>" if p.url else snippet
        embed.add_field(name=name, value=trim(value, EMBED_FIELD_VALUE_LIMIT), inline=False)
    return embed


def thread_name(question: str) -> str:
    return trim(" ".join(question.split()), THREAD_NAME_LIMIT) or "Question"


def article_page(
    articles: Sequence[Article], page: int, per_page: int = ARTICLES_PER_PAGE, title: str = "Knowledge base"
) -> discord.Embed:
    pages = page_count(len(articles), per_page)
    page = max(0, min(page, pages - 1))
    chunk = articles[page * per_page : (page + 1) * per_page]
    lines = [f"{code(a.path)} — {trim(one_line(a.title), 150)} ({a.passages} passages)" for a in chunk]
    embed = discord.Embed(
        title=f"{title}: {len(articles)} articles",
        description=trim("\n".join(lines) or "No articles.", EMBED_DESCRIPTION_LIMIT),
    )
    embed.set_footer(text=f"Page {page + 1} of {pages}")
    return embed


def page_count(items: int, per_page: int = ARTICLES_PER_PAGE) -> int:
    return max(1, -(-items // per_page))


def reindex_summary(report: BuildReport, action: str = "Reindexed") -> str:
    parts = [f"{action} in {report.seconds:.1f} s: {report.articles} articles, {report.passages} passages."]
    if not report.rebuilt:
        parts.append("Nothing changed; the current index was kept.")
    for label, paths in (("Added", report.added), ("Changed", report.changed), ("Removed", report.removed)):
        if paths:
            parts.append(f"{label}: " + ", ".join(code(p) for p in paths[:20]))
    if report.rebuilt:
        parts.append(f"Embedded {report.embedded} new passage views, reused {report.reused}.")
    if report.skipped:
        skipped = "; ".join(f"{code(s.path)} ({one_line(s.reason)})" for s in report.skipped[:10])
        parts.append(f"Skipped {len(report.skipped)} broken file(s): {skipped}")
    return trim("\n".join(parts), CONTENT_LIMIT)


def stats_embed(stats: Stats, period_label: str) -> discord.Embed:
    embed = discord.Embed(title=f"Questions, {period_label}")
    embed.add_field(name="Asked", value=str(stats.asked))
    embed.add_field(name="Answered", value=f"{stats.answered} ({stats.answered_share:.0%})")
    embed.add_field(name="Feedback", value=f"👍 {stats.upvotes} · 👎 {stats.downvotes}")
    gaps = "\n".join(f"{count}× {trim(q, 150)}" for q, count in stats.top_unanswered)
    embed.add_field(
        name="Most asked without an answer (write these articles)",
        value=trim(gaps or "None — every question was answered.", EMBED_FIELD_VALUE_LIMIT),
        inline=False,
    )
    return embed
