"""Ranked passages -> an Answer: the sentences that answer the question, cited, with a confidence."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.chunking import is_fenced_code, passage_sentences
from bot.core.lexical import terms
from bot.core.search import Hit
from bot.core.tuning import TUNING

MAX_SUGGESTIONS = 3  # closest article titles offered with a refusal
NO_ANSWER = "I couldn't find an answer to that in the knowledge base."
# A sentence that points back in its first words ("It works with...", "In PyTorch these are...") means
# little without the sentence before it.
REFERS_BACK = re.compile(r"^\W*(?:\S+\s+){0,2}?(?:it|its|they|their|them|this|these|those|such|both)\b", re.I)
# "What is JAX?" asks for a definition, and the sentence that gives one opens "JAX is ...": no comma
# before the verb, and not a phrase like "In PyTorch the model is ...".
DEFINITION_QUESTION = re.compile(
    r"^\s*(?:what|who)(?:\s+|'|’)(?:is|are|was|were|s|does)\s+(?P<subject>.+?)(?:\s+mean)?\s*\??\s*$", re.I
)
DEFINITION_OPENING = re.compile(
    r"^(?!(?:in|on|for|with|at|by|from|to|as|when|if|like|unlike|after|before|since|while)\b)"
    r"(?P<subject>[^.;:,]{1,80}?)\s+(?:is|are|was|were|means|refers to|stands for)\s"
    # "JAX is used for ...", "PyTorch is widely adopted": a passive or an adverb says what is done with X,
    # not what X is.
    r"(?!(?:\w+ed|\w+ly|built|made|known|written|run|seen|given|taken|not)\b)",
    re.I,
)


@dataclass(frozen=True)
class Source:
    title: str
    section: str
    path: str
    url: str | None
    score: float
    passage_ids: tuple[str, ...] = ()  # the passages of this section the answer quotes
    collection: str = ""  # "base" or "server" when the answer searched several collections (see Hit)


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

    def uncited_hits(self) -> list[Hit]:
        """The retrieved passages the answer doesn't cite, best first (for "more sources")."""
        cited = {passage_id for source in self.sources for passage_id in source.passage_ids}
        return [hit for hit in self.hits if hit.passage.id not in cited]


def content_terms(text: str) -> set[str]:
    return set(terms(text))


def is_question(sentence: str) -> bool:
    return sentence.rstrip(" \"'*_)»”").endswith("?")


# Scores sentences against the question (cosine similarities, one per sentence).
SentenceScorer = Callable[[Sequence[str]], Sequence[float]]


def section_key(hit: Hit) -> tuple[str, str, str]:
    """Which section a hit is from (two collections may hold an article of the same path)."""
    return (hit.collection, hit.passage.doc_path, hit.passage.section)


def used_hits(hits: Sequence[Hit]) -> list[Hit]:
    """The passages an answer may quote: every retrieved passage of the best one's section (a long section
    is split, and its answer may sit in the part that ranked lower), and the next section's passage when
    it scores almost as well."""
    if not hits:
        return []
    best = section_key(hits[0])
    close = [h for h in hits if h.score >= hits[0].score - TUNING.supporting_margin]
    others = [h for h in close if section_key(h) != best][: TUNING.supporting_passages - 1]
    return [h for h in hits if section_key(h) == best or h in others]


def compose_answer(
    question: str, hits: Sequence[Hit], threshold: float, scorer: SentenceScorer | None = None
) -> Answer:
    """Answer from `hits` when the best scores at least `threshold`; otherwise an honest refusal.

    `scorer` gives each candidate sentence's similarity to the question; without it sentences are
    chosen by the words they share with the question.
    """
    confidence = max(0.0, min(1.0, hits[0].confidence)) if hits else 0.0
    if confidence < threshold:
        titles = tuple(dict.fromkeys(h.passage.title for h in hits))[:MAX_SUGGESTIONS]
        return Answer(question, False, NO_ANSWER, confidence, (), (), tuple(hits), titles)
    used = used_hits(hits)
    quoted = quoted_sentences(question, used, scorer)
    sentences = [sentence for _, sentence in quoted]
    # Cite the passages the answer quotes, not a close second it took nothing from.
    quoting = {hit_rank for hit_rank, _ in quoted}
    cited = [h for hit_rank, h in enumerate(used) if hit_rank in quoting] or used[:1]
    # Sections in the order they ranked (a lower part of the best section is still cited first).
    sections = list(dict.fromkeys(section_key(h) for h in used))
    sources = cite(sorted(cited, key=lambda h: sections.index(section_key(h))))
    return Answer(
        question, True, join_sentences(sentences), confidence, tuple(sentences), sources, tuple(hits)
    )


def cite(hits: Sequence[Hit]) -> tuple[Source, ...]:
    """One source per article section, in the order of the hits; two passages of one section (a long
    section is split) are one source."""
    by_section: dict[tuple[str, str, str], list[Hit]] = {}
    for hit in hits:
        by_section.setdefault(section_key(hit), []).append(hit)
    return tuple(
        Source(
            group[0].passage.title,
            group[0].passage.section,
            group[0].passage.doc_path,
            group[0].passage.url,
            max(h.score for h in group),
            tuple(h.passage.id for h in group),
            group[0].collection,
        )
        for group in by_section.values()
    )


def join_sentences(sentences: Sequence[str]) -> str:
    """Prose joined by spaces; a code block on lines of its own, where Markdown renders it as one."""
    text = ""
    for sentence in sentences:
        block = is_fenced_code(sentence) or text.endswith(("```", "~~~"))
        text += ("\n" if block else " ") + sentence if text else sentence
    return text


def quoted_sentences(
    question: str,
    hits: Sequence[Hit],
    scorer: SentenceScorer | None = None,
    limit: int = TUNING.max_sentences,
) -> list[tuple[int, str]]:
    """The sentences of the best passages that answer the question best, in reading order, each as
    (index of the hit it comes from, sentence).

    Meaning (the scorer) counts most, shared words next; an opening sentence usually states its
    section's point, so it gets a head start, and the best section's sentences one over the next section's
    (at 0.05 rather than 0.1, "What is a scikit-learn pipeline?" was answered only with a FAQ's aside
    that mentions pipelines). A "What is X?" question favours the sentence that opens "X is ..." ("What
    is JAX?" was answered with JAX's history, the model's closest sentence). Code blocks are kept
    whole, as one "sentence".
    """
    wanted = content_terms(question)
    located = [
        (hit_rank, position, sentence)
        for hit_rank, hit in enumerate(hits)
        for position, sentence in enumerate(passage_sentences(hit.passage.text))
    ]
    if not located:
        return []
    section_rank, opening_offset = _places_in_sections(hits, located)
    meaning = list(scorer([s for _, _, s in located])) if scorer else [0.0] * len(located)
    subject = defined_subject(question)
    weights = [
        similarity
        + TUNING.sentence_word_weight * len(wanted & content_terms(sentence)) / (len(wanted) or 1)
        + TUNING.opening_bonus / (1 + opening_offset[hit_rank] + position)
        - TUNING.lower_passage_penalty * section_rank[hit_rank]
        + (TUNING.definition_bonus if subject and defines(sentence, subject) else 0.0)
        for similarity, (hit_rank, position, sentence) in zip(meaning, located, strict=True)
    ]
    ranked = sorted(range(len(located)), key=lambda i: -weights[i])
    chosen = [i for i in ranked[:limit] if weights[i] >= weights[ranked[0]] - TUNING.sentence_margin]
    chosen = _answers_instead_of_questions(located, chosen)
    if len(chosen) == 1:
        # One sentence rarely says it all; the next one completes it, unless it asks a new question.
        chosen += [i for i in _next_in_passage(located, chosen[0]) if not is_question(located[i][2])]
    chosen += _context_before(located, chosen)
    for index in sorted(chosen):
        if located[index][2].rstrip().endswith(":") and index + 1 not in chosen:
            chosen += _next_in_passage(located, index)  # "A quick check:" means nothing without the check
        if is_fenced_code(located[index][2]) and index - 1 not in chosen:
            chosen += [
                i for i in _previous_in_passage(located, index) if located[i][2].rstrip().endswith(":")
            ]

    # Reading order: the best section first (its opening is what the user reads as the answer, and it is
    # the first source cited), the passages of one section in the article's order (a long section is
    # split), sentences in their order.
    def reading_order(index: int) -> tuple[int, int, int]:
        hit_rank = located[index][0]
        return (section_rank[hit_rank], hits[hit_rank].passage.ordinal, located[index][1])

    # The same sentence in two passages (an article copied, a shared disclaimer) is quoted once.
    quoted: dict[str, int] = {}
    for i in sorted(set(chosen), key=reading_order):
        quoted.setdefault(located[i][2], located[i][0])
    return [(hit_rank, sentence) for sentence, hit_rank in quoted.items()]


def _places_in_sections(
    hits: Sequence[Hit], located: Sequence[tuple[int, int, str]]
) -> tuple[list[int], list[int]]:
    """For each hit, its section's rank among the hits' sections (the penalty for quoting a lower one is
    per section: a long section's later part is no weaker evidence), and how many sentences of its
    section's earlier passages among the hits come before it (only a section's opening sentence gets
    the opening bonus, not the first sentence of every part)."""
    sections = list(dict.fromkeys(section_key(hit) for hit in hits))
    counts = [0] * len(hits)
    for hit_rank, _, _ in located:
        counts[hit_rank] += 1
    offsets = [
        sum(
            counts[other]
            for other, earlier in enumerate(hits)
            if section_key(earlier) == section_key(hit) and earlier.passage.ordinal < hit.passage.ordinal
        )
        for hit in hits
    ]
    return [sections.index(section_key(hit)) for hit in hits], offsets


def _previous_in_passage(located: Sequence[tuple[int, int, str]], index: int) -> list[int]:
    before = index - 1
    return [before] if before >= 0 and located[before][0] == located[index][0] else []


def _answers_instead_of_questions(located: Sequence[tuple[int, int, str]], chosen: list[int]) -> list[int]:
    """A question in the text (an FAQ's own "Is X better than Y?") resembles the user's question most
    of all and so marks where the answer is, but answers nothing: quote the sentence after it instead."""
    answers: list[int] = []
    for index in chosen:
        if is_question(located[index][2]):
            answers += [i for i in _next_in_passage(located, index) if not is_question(located[i][2])]
        else:
            answers.append(index)
    return list(dict.fromkeys(answers)) or chosen


def defined_subject(question: str) -> set[str]:
    """The terms of what a "What is X?" question asks to have defined (empty for other questions)."""
    match = DEFINITION_QUESTION.match(question)
    return content_terms(match.group("subject")) if match else set()


def defines(sentence: str, subject: set[str]) -> bool:
    """Whether the sentence opens as a definition of the subject: "JAX is an open-source library..."."""
    match = DEFINITION_OPENING.match(sentence)
    return match is not None and subject <= content_terms(match.group("subject"))


def _context_before(located: Sequence[tuple[int, int, str]], chosen: list[int]) -> list[int]:
    """The sentences needed before each passage's first quoted sentence when it opens by pointing back
    ("It was created at FAIR."), so that the quote says what "it" is, or is bare code, so that the
    code comes with the words that introduce it."""
    added: list[int] = []
    for hit_rank in sorted({located[i][0] for i in chosen}):
        first = min(i for i in chosen if located[i][0] == hit_rank)
        for _ in range(TUNING.max_context_sentences):
            before = _previous_in_passage(located, first)
            opening = located[first][2]
            needs_context = bool(REFERS_BACK.match(opening)) or is_fenced_code(opening)
            if not before or not needs_context or is_question(located[before[0]][2]):
                break
            added += before
            first = before[0]
    return added


def _next_in_passage(located: Sequence[tuple[int, int, str]], index: int) -> list[int]:
    following = index + 1
    if following < len(located) and located[following][0] == located[index][0]:
        return [following]
    return []
