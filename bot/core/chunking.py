"""Document -> Passages that follow headings and sentence boundaries and fit the model's input.

Pure functions: the token counter is passed in, so the same code serves the real tokenizer and tests.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from bot.core.anchors import section_url, split_heading_id
from bot.core.documents import Document

TokenCounter = Callable[[str], int]
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
# A sentence ends at . ! ? (a closing quote or bracket may follow) before whitespace and a capital,
# digit, quote or bracket; common abbreviations are protected in split_sentences.
SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[\"'(\[`*]?[A-Z0-9])")
ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "Mr.", "Dr.", "cf.", "approx.", "Fig.", "No.")
SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class Passage:
    """A retrievable piece of an article. `section` is the heading path below the title."""

    id: str
    doc_path: str
    title: str
    section: str
    text: str
    url: str | None = None
    ordinal: int = 0

    @property
    def heading_path(self) -> str:
        return SECTION_SEPARATOR.join(part for part in (self.title, self.section) if part)

    @property
    def embedding_text(self) -> str:
        """The passage under its heading path, which supplies context its text leaves implicit."""
        return f"{self.heading_path}\n{self.text}"

    @property
    def paragraphs(self) -> list[str]:
        # Split at every blank line, inside code blocks too: on python-faq, embedding a long code block
        # in pieces found one more gold file in the top 5 than embedding it whole.
        return [block for block in self.text.split("\n\n") if block.strip()]

    def views(self) -> Views:
        """The texts embedded for this passage (see Views, and search.py for how their scores combine)."""
        paragraphs = self.paragraphs
        if len(paragraphs) < 2:  # one paragraph: its views would repeat the passage's
            paragraphs = []
        return Views(
            self.embedding_text,
            self.text,
            tuple(f"{self.heading_path}\n{paragraph}" for paragraph in paragraphs),
            tuple(paragraphs),
        )


@dataclass(frozen=True)
class Views:
    """What is embedded for one passage, and the one place that knows the order the vectors are stored in.

    With and without the heading path, because a title can carry the question's subject ("PyTorch")
    or be noise ("Note 12"); each paragraph too (for a passage of two or more), because one focused
    paragraph often matches a question better than the whole passage. Stored as: passage with heading,
    passage, then for each paragraph its text with heading and without.
    """

    with_heading: str
    plain: str
    paragraphs_with_heading: tuple[str, ...] = ()
    paragraphs_plain: tuple[str, ...] = ()

    def texts(self) -> list[str]:
        """The views in their stored order."""
        texts = [self.with_heading, self.plain]
        for with_heading, plain in zip(self.paragraphs_with_heading, self.paragraphs_plain, strict=True):
            texts += [with_heading, plain]
        return texts


@dataclass(frozen=True)
class ViewScores:
    """A passage's view similarities to a question, decoded from their stored order (see Views)."""

    with_heading: float
    plain: float
    paragraphs_with_heading: tuple[float, ...]
    paragraphs_plain: tuple[float, ...]

    @classmethod
    def decode(cls, similarities: Sequence[float]) -> ViewScores:
        values = [float(value) for value in similarities]
        return cls(values[0], values[1], tuple(values[2::2]), tuple(values[3::2]))


@dataclass(frozen=True)
class Section:
    headings: tuple[str, ...]
    blocks: tuple[str, ...]
    anchor: str | None = None  # the innermost heading's `{#id}` that has one (see anchors.py)


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping abbreviations like "e.g." inside their sentence."""
    protected = text
    for number, abbreviation in enumerate(ABBREVIATIONS):
        protected = protected.replace(abbreviation, f"\x00{number}\x00")
    parts = SENTENCE_END.split(protected)
    sentences = []
    for part in parts:
        for number, abbreviation in enumerate(ABBREVIATIONS):
            part = part.replace(f"\x00{number}\x00", abbreviation)
        if part.strip():
            sentences.append(part.strip())
    return sentences


def text_blocks(text: str) -> list[str]:
    """The text's paragraphs (separated by blank lines), except that a fenced code block stays one
    block even where it has blank lines of its own."""
    blocks: list[str] = []
    inside_fence = False
    for block in text.split("\n\n"):
        if inside_fence:
            blocks[-1] += "\n\n" + block
        else:
            blocks.append(block)
        fences = sum(1 for line in block.splitlines() if FENCE.match(line))
        inside_fence ^= fences % 2 == 1
    return blocks


def is_fenced_code(text: str) -> bool:
    """Whether the text is (or opens with) a fenced code block."""
    return bool(FENCE.match(text))


def passage_sentences(text: str) -> list[str]:
    """The sentences an answer may quote from a passage; a code block counts as one."""
    sentences: list[str] = []
    for block in text_blocks(text):
        if is_fenced_code(block):
            sentences.append(block.strip())
        else:
            sentences.extend(split_sentences(" ".join(block.split())))
    return sentences


def split_sections(document: Document) -> list[Section]:
    """Group the body's blocks (paragraphs, lists, code) under the heading path they sit in."""
    sections: list[Section] = []
    stack: list[tuple[int, str, str | None]] = []
    blocks: list[str] = []
    current: list[str] = []
    in_fence = False

    def close_block() -> None:
        if current and "".join(current).strip():
            blocks.append("\n".join(current).strip())
        current.clear()

    def close_section() -> None:
        close_block()
        if blocks:
            anchors = [anchor for _, _, anchor in stack if anchor]
            headings = tuple(h for _, h, _ in stack)
            sections.append(Section(headings, tuple(blocks), anchors[-1] if anchors else None))
        blocks.clear()

    for line in document.body.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            current.append(line)
            continue
        heading = None if in_fence else HEADING.match(line)
        if heading:
            close_section()
            level = len(heading.group(1))
            text, anchor = split_heading_id(heading.group(2).strip())
            stack[:] = [entry for entry in stack if entry[0] < level] + [(level, text, anchor)]
        elif not line.strip() and not in_fence:
            close_block()
        else:
            current.append(line)
    close_section()
    return sections


def section_name(headings: tuple[str, ...], title: str) -> str:
    """Heading path below the article title (an H1 repeating the title adds nothing)."""
    parts = [h for h in headings if h.casefold() != title.casefold()]
    return SECTION_SEPARATOR.join(parts)


def chunk_document(document: Document, count_tokens: TokenCounter, max_tokens: int) -> list[Passage]:
    """Split a document into passages of at most `max_tokens` model tokens, heading path included."""
    passages: list[Passage] = []
    seen_ids: set[str] = set()
    for section in split_sections(document):
        name = section_name(section.headings, document.title)
        url = section_url(document.url, section.anchor)
        title, name = fit_heading(document.title, name, count_tokens, max_tokens // 2)
        prefix = SECTION_SEPARATOR.join(p for p in (title, name) if p)
        # The heading path is embedded with each passage, so it spends part of the budget.
        budget = max(1, max_tokens - count_tokens(prefix) - 2)  # fit_heading leaves at least half
        for text in pack_blocks(section.blocks, count_tokens, budget):
            ordinal = len(passages)
            passage_id = passage_key(document.path, name, text, seen_ids)
            passages.append(Passage(passage_id, document.path, title, name, text, url, ordinal))
    return passages


def fit_heading(title: str, section: str, count_tokens: TokenCounter, budget: int) -> tuple[str, str]:
    """Title and section cut (section first) until their heading path takes at most `budget` tokens: an
    absurdly long heading would otherwise crowd the text out of the model's input."""
    while section and count_tokens(SECTION_SEPARATOR.join(p for p in (title, section) if p)) > budget:
        section = section[: len(section) // 2].rstrip()
    while title and count_tokens(title) > budget:
        title = title[: len(title) // 2].rstrip()
    return title, section


def passage_key(doc_path: str, section: str, text: str, seen: set[str]) -> str:
    """Stable id from content: the same text under the same heading keeps its id across rebuilds."""
    digest = hashlib.sha1(f"{doc_path}\x00{section}\x00{text}".encode()).hexdigest()[:16]
    key, repeat = digest, 1
    while key in seen:
        key, repeat = f"{digest}-{repeat}", repeat + 1
    seen.add(key)
    return key


def pack_blocks(blocks: tuple[str, ...], count_tokens: TokenCounter, budget: int) -> Iterator[str]:
    """Greedily join whole blocks; a block too big on its own is split at sentences, then words."""
    pending: list[str] = []
    pending_tokens = 0
    for block in blocks:
        for piece in fit_block(block, count_tokens, budget):
            tokens = count_tokens(piece)
            if pending and pending_tokens + tokens > budget:
                yield "\n\n".join(pending)
                pending, pending_tokens = [], 0
            pending.append(piece)
            pending_tokens += tokens
    if pending:
        yield "\n\n".join(pending)


def fit_block(block: str, count_tokens: TokenCounter, budget: int) -> list[str]:
    if count_tokens(block) <= budget:
        return [block]
    # A fence line too long to repeat on every piece (a huge info string) is split like prose instead.
    if is_fenced_code(block) and count_tokens(block.splitlines()[0]) * 2 < budget // 2:
        return split_code(block, count_tokens, budget)
    parts = (
        part for sentence in split_sentences(block) for part in split_words(sentence, count_tokens, budget)
    )
    return pack(parts, count_tokens, budget)


def split_code(block: str, count_tokens: TokenCounter, budget: int) -> list[str]:
    """A fenced code block too big for one passage, cut between lines (at blank lines where it can be)
    into pieces that are fenced code blocks themselves, so that no piece reads as prose."""
    opening, *body = block.splitlines()
    closing = opening.strip()[:3]
    if body and FENCE.match(body[-1]):
        closing = body.pop().strip()
    inner_budget = max(1, budget - count_tokens(f"{opening}\n{closing}"))
    units: list[str] = []  # runs of lines between blank lines, cut further where one is too long
    for run in "\n".join(body).split("\n\n"):
        if count_tokens(run) <= inner_budget:
            units.append(run)
        else:
            lines = (
                part for line in run.splitlines() for part in split_words(line, count_tokens, inner_budget)
            )
            units += pack(lines, count_tokens, inner_budget, "\n")
    return [f"{opening}\n{piece}\n{closing}" for piece in pack(units, count_tokens, inner_budget, "\n\n")]


def split_words(sentence: str, count_tokens: TokenCounter, budget: int) -> list[str]:
    """Last resort for a run-on sentence (or a code line) longer than the budget; a single word longer
    than the budget (a hash, a minified line, 5,000 x's) is cut between characters."""
    if count_tokens(sentence) <= budget:
        return [sentence]
    words = (piece for word in sentence.split() for piece in split_characters(word, count_tokens, budget))
    return pack(words, count_tokens, budget)


def split_characters(word: str, count_tokens: TokenCounter, budget: int) -> list[str]:
    """`word` cut into runs of characters of at most `budget` tokens each (a character may be a token
    of its own, so runs of `budget` characters always fit; longer ones are tried first)."""
    pieces: list[str] = []
    while word:
        size = len(word)
        while size > 1 and count_tokens(word[:size]) > budget:
            size = max(1, min(size // 2, budget * 4))
        pieces.append(word[:size])
        word = word[size:]
    return pieces


def pack(parts: Iterable[str], count_tokens: TokenCounter, budget: int, separator: str = " ") -> list[str]:
    """Join consecutive parts with `separator`, greedily, into pieces of at most `budget` tokens (a part
    longer than the budget on its own becomes a piece by itself)."""
    pieces: list[str] = []
    current: list[str] = []
    for part in parts:
        if current and count_tokens(separator.join([*current, part])) > budget:
            pieces.append(separator.join(current))
            current = []
        current.append(part)
    if current:
        pieces.append(separator.join(current))
    return pieces
