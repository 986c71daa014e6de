"""Ranked passages -> an Answer: the sentences that answer the question, cited, with a confidence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from bot.core.chunking import split_sentences
from bot.core.search import Hit

MAX_SENTENCES = 3
# A second passage contributes sentences only when it scores almost as well as the best one.
SUPPORTING_MARGIN = 0.05
MAX_SUGGESTIONS = 3
NO_ANSWER = "I couldn't find an answer to that in the knowledge base."
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_+#.-]*[A-Za-z0-9+#]|[A-Za-z0-9]")
STOPWORDS = frozenset(
    "a an and are as at be by can could do does did for from has have how i if in into is it its me "
    "my of on or so than that the their then there these this to was what when where which who why "
    "will with would you your should may might must we our they them use using used get make ".split()
)


@dataclass(frozen=True)
class Source:
    title: str
    section: str
    path: str
    url: str | None
    score: float


@dataclass(frozen=True)
class Answer:
    """What the bot says. When `answered` is False, `text` says so and `suggestions` lists close titles."""

    question: str
    answered: bool
    text: str
    confidence: float
    sentences: tuple[str, ...]
    sources: tuple[Source, ...]
    hits: tuple[Hit, ...]
    suggestions: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def content_terms(text: str) -> set[str]:
    """Stemmed, lower-cased words that carry meaning (stopwords dropped)."""
    words = [w.lower() for w in WORD.findall(text)]
    return set(_stemmer().stemWords([w for w in words if w not in STOPWORDS]))


def compose_answer(question: str, hits: Sequence[Hit], threshold: float) -> Answer:
    """Answer from `hits` when the best scores at least `threshold`; otherwise an honest refusal."""
    confidence = max(0.0, min(1.0, hits[0].score)) if hits else 0.0
    if confidence < threshold:
        titles = tuple(dict.fromkeys(h.passage.title for h in hits))[:MAX_SUGGESTIONS]
        return Answer(question, False, NO_ANSWER, confidence, (), (), tuple(hits), titles)
    used = [h for h in hits if h.score >= hits[0].score - SUPPORTING_MARGIN][:2]
    sentences = key_sentences(question, used)
    sources = tuple(
        Source(h.passage.title, h.passage.section, h.passage.doc_path, h.passage.url, h.score) for h in used
    )
    return Answer(question, True, " ".join(sentences), confidence, tuple(sentences), sources, tuple(hits))


def key_sentences(question: str, hits: Sequence[Hit], limit: int = MAX_SENTENCES) -> list[str]:
    """The sentences of the best passages that share most with the question, in reading order.

    The opening sentence of a passage usually states its point, so it wins ties; code blocks stay whole.
    """
    wanted = content_terms(question)
    candidates: list[tuple[float, int, str]] = []
    for hit_rank, hit in enumerate(hits):
        for position, sentence in enumerate(passage_sentences(hit.passage.text)):
            overlap = len(wanted & content_terms(sentence)) / (len(wanted) or 1)
            weight = overlap + 0.3 / (1 + position) - 0.2 * hit_rank
            candidates.append((weight, hit_rank * 10_000 + position, sentence))
    best = sorted(candidates, key=lambda c: -c[0])[:limit]
    return [sentence for _, _, sentence in sorted(best, key=lambda c: c[1])]


def passage_sentences(text: str) -> list[str]:
    sentences: list[str] = []
    for block in text.split("\n\n"):
        if block.lstrip().startswith(("```", "~~~", "    ")):
            sentences.append(block.strip())
        else:
            sentences.extend(split_sentences(" ".join(block.split())))
    return sentences
