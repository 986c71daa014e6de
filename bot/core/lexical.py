"""Lexical evidence: how much of a question's rare vocabulary a passage contains.

A small sentence-embedding model knows everyday English well but not the names this domain is full of
(XLA, `torch.compile`, `DataLoader`, `SavedModel`, RLHF: see the README for what it scores them). The words themselves are the evidence, so every passage also
gets a lexical score, the question's *coverage*:

    coverage(q, d) = sum over terms t of q found in d of  idf(t)^2 * saturation(tf(t, d))
                     -----------------------------------------------------------------
                                   sum over all terms t of q of  idf(t)^2

with BM25's idf and saturation (tuning.py). Squaring idf makes a rare term dominate the
common words around it, and dividing by the question's own total keeps the score in [0, 1) whatever
the question's length, so it can join a confidence: a question whose rare words appear nowhere
(a library the knowledge base never mentions) gets little coverage anywhere. Unlike a plain BM25 rank,
this is an absolute measure, which is why it is computed here and not with a BM25 library: those expose
ranks and raw sums, not per-term weights and the question's own total.

The index also keeps the acronyms the passages define, so that a question can be embedded with their
long forms spelled out (LexicalIndex.expand).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import Stemmer

from bot.core.tuning import TUNING

# Words: a letter (of any alphabet: "François", "Müller") first, then identifier characters, so
# `torch.compile`, `bfloat16` and `C++` stay whole.
WORD = re.compile(r"[^\W\d_][\w+#.-]*(?:[^\W_]|[+#])|[^\W_]")
STOPWORDS = frozenset(
    "a an and are as at be by can could do does did for from has have how i if in into is it its me "
    "my of on or so than that the their then there these this to was what when where which who why "
    "will with would you your should may might must we our they them use using used get make ".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    # A cache larger than a big knowledge base's vocabulary: past the default 10,000 words it thrashes.
    return Stemmer.Stemmer("english", 500_000)


# British spellings, rewritten to American ones before stemming, since the stemmer keeps them apart
# ("optimiser" -> "optimis", "optimizer" -> "optim"). Three letters must come first, to spare "wise",
# "raise", "four" and "hour"; words such as "precise" are rewritten too, harmlessly, since questions and
# passages are rewritten alike.
BRITISH_ENDINGS = (
    (re.compile(r"(?<=[a-z]{3})is(e|es|ed|ing|er|ers|ation|ations)$"), r"iz\1"),
    (re.compile(r"(?<=[a-z]{3})our(s|ed|ing|ite|ites|able)?$"), r"or\1"),
    (re.compile(r"(?<=[a-z]{2})ys(e|es|ed|ing)$"), r"yz\1"),
)


def _american(word: str) -> str:
    for pattern, replacement in BRITISH_ENDINGS:
        word = pattern.sub(replacement, word)
    return word


def _words(text: str) -> list[str]:
    """Lower-cased words, stopwords dropped; a dotted name also counts as its parts, so that
    "GradientTape" finds `tf.GradientTape` and "torch.compile" finds "compile"."""
    words = []
    for word in WORD.findall(text.lower()):
        if word in STOPWORDS:
            continue
        words.append(_american(word))
        if "." in word:
            words += [_american(part) for part in word.split(".") if len(part) > 1 and part not in STOPWORDS]
    return words


def terms(text: str) -> list[str]:
    """Stemmed, lower-cased words that carry meaning (stopwords dropped), in order."""
    stemmed: list[str] = _stemmer().stemWords(_words(text))  # PyStemmer has no type hints
    return stemmed


# "reinforcement learning from human feedback (RLHF)" and "XLA (Accelerated Linear Algebra)".
ACRONYM_AFTER = re.compile(r"\(([A-Z][A-Z0-9&]{1,9})\)")
ACRONYM_BEFORE = re.compile(r"\b([A-Z][A-Z0-9&]{1,9}) \(([^()]{3,80})\)")
ACRONYM_WORD = re.compile(r"\b[A-Z][A-Z0-9&]{1,9}\b")
# Small words a long form may skip: "reinforcement learning from human feedback" is RLHF.
LINKING_WORDS = frozenset("a an and for from in of on the to with".split())


def acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Acronyms the texts define, with their long forms ("RLHF" -> "reinforcement learning from human
    feedback"); the first definition found wins."""
    found: dict[str, str] = {}
    for text in texts:
        for match in ACRONYM_AFTER.finditer(text):
            long_form = _long_form_before(text[: match.start()], match.group(1))
            if long_form:
                found.setdefault(match.group(1), long_form)
        for match in ACRONYM_BEFORE.finditer(text):
            acronym, long_form = match.group(1), match.group(2).strip()
            if _spells(acronym, long_form.split(), strict=False):
                found.setdefault(acronym, long_form)
    return {acronym: " ".join(long_form.split()) for acronym, long_form in found.items()}


def _long_form_before(before: str, acronym: str) -> str | None:
    """The shortest run of words just before "(ACRONYM)" whose initials spell it."""
    before = before[-200:].rstrip()
    words = list(re.finditer(r"[A-Za-z][\w&'-]*", before))
    for count in range(2, min(len(words), 2 * len(acronym) + 2) + 1):
        first = words[-count]
        candidate = [w.group() for w in words[-count:]]
        if first.group().lower() not in LINKING_WORDS and _spells(acronym, candidate, strict=True):
            return before[first.start() :]
    return None


def _spells(acronym: str, words: Sequence[str], strict: bool) -> bool:
    """Whether the words' initials (linking words aside) spell the acronym: exactly (strict), or all its
    letters but one, in order (a long form in brackets after its acronym: "XLA (Accelerated Linear
    Algebra)")."""
    letters = [c.lower() for c in acronym if c.isalpha()]
    initials = [
        w[0].lower() for part in words for w in part.split("-") if w and w.lower() not in LINKING_WORDS
    ]
    if len(letters) < 2 or not initials or len(initials) > 2 * len(letters):
        return False
    if strict:
        return initials == letters
    return _common_subsequence(letters, initials) >= max(2, len(letters) - 1)


def _common_subsequence(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (the inputs are a few letters long)."""
    lengths = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            lengths[i + 1][j + 1] = lengths[i][j] + 1 if x == y else max(lengths[i][j + 1], lengths[i + 1][j])
    return lengths[-1][-1]


class LexicalIndex:
    """How often each term occurs in each passage: a sparse passages x terms matrix stored by column
    (a question reads only its own terms' columns), as three arrays: column c's entries are
    `rows[starts[c]:starts[c + 1]]` with `counts[...]`. Plain numpy rather than scipy.sparse, whose
    import alone costs a noticeable share of `qabot ask`'s start-up (README). BM25's saturation is worked
    out at query time for the question's few columns. Read-only; store/lexical_file.py saves and loads it."""

    def __init__(
        self,
        vocabulary: dict[str, int],
        starts: np.ndarray,
        rows: np.ndarray,
        counts: np.ndarray,
        passages: int,
        defined: dict[str, str] | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.acronyms = defined or {}
        self.starts = starts.astype(np.int64)
        self.rows = rows.astype(np.int32)
        self.counts = counts.astype(np.float32)
        self.passage_count = passages
        lengths = np.bincount(self.rows, weights=self.counts, minlength=passages)
        average = float(lengths.mean()) if passages and lengths.sum() else 1.0
        k1, b = TUNING.bm25_k1, TUNING.bm25_b
        self.damping = (k1 * (1 - b + b * lengths / average)).astype(np.float32)
        self.document_frequency = np.diff(self.starts)

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        previous: LexicalIndex | None = None,
        previous_rows: Sequence[int | None] = (),
    ) -> LexicalIndex:
        """Count the terms of `texts`. previous_rows[i], when given, is the row of `previous` that holds
        the same text as texts[i]: its counts are copied instead of tokenizing it again (tokenizing is
        most of the cost of a build's lexical step)."""
        vocabulary = dict(previous.vocabulary) if previous else {}
        old = previous.by_row() if previous is not None else None
        columns: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for row, text in enumerate(texts):
            old_row = previous_rows[row] if row < len(previous_rows) else None
            if old is not None and old_row is not None:
                starts, old_columns, old_counts = old
                segment = slice(starts[old_row], starts[old_row + 1])
                columns.append(old_columns[segment])
                values.append(old_counts[segment])
                continue
            counted = Counter(terms(text))
            columns.append(np.array([vocabulary.setdefault(t, len(vocabulary)) for t in counted], np.int64))
            values.append(np.array(list(counted.values()), dtype=np.float32))
        row_of_entry = np.repeat(np.arange(len(texts)), [len(c) for c in columns])
        column_of_entry = np.concatenate(columns) if columns else np.zeros(0, np.int64)
        count_of_entry = np.concatenate(values) if values else np.zeros(0, np.float32)
        # Renumber the terms still in use (a removed passage's words leave the vocabulary).
        in_use = np.bincount(column_of_entry, minlength=len(vocabulary)) > 0
        renumbered = np.cumsum(in_use) - 1
        vocabulary = {term: int(renumbered[c]) for term, c in vocabulary.items() if in_use[c]}
        column_of_entry = renumbered[column_of_entry]
        order = np.argsort(column_of_entry, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(column_of_entry, minlength=len(vocabulary)))])
        return cls(
            vocabulary, starts, row_of_entry[order], count_of_entry[order], len(texts), acronyms(texts)
        )

    def expand(self, question: str) -> str:
        """The question with the long form of each acronym the knowledge base defines, for the model,
        which can't read most acronyms: "What is RLHF?" -> "What is RLHF (reinforcement learning from
        human feedback)?"."""

        def spelled_out(match: re.Match[str]) -> str:
            long_form = self.acronyms.get(match.group())
            if long_form is None or long_form.lower() in question.lower():
                return match.group()
            return f"{match.group()} ({long_form})"

        return ACRONYM_WORD.sub(spelled_out, question)

    def by_row(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The same matrix stored by row: (row starts, columns, counts)."""
        column_of_entry = np.repeat(np.arange(len(self.starts) - 1), np.diff(self.starts))
        order = np.argsort(self.rows, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(self.rows, minlength=self.passage_count))])
        return starts, column_of_entry[order], self.counts[order]

    def idf(self, term: str) -> float:
        column = self.vocabulary.get(term)
        frequency = 0 if column is None else int(self.document_frequency[column])
        count = self.passage_count
        return math.log(1 + (count - frequency + 0.5) / (frequency + 0.5))

    def coverage(self, question: str) -> np.ndarray:
        """The question's coverage of every passage, a float32 vector in [0, 1)."""
        wanted = set(terms(question))
        weights = {term: self.idf(term) ** 2 for term in wanted}
        total = sum(weights.values())
        scores = np.zeros(self.passage_count, dtype=np.float32)
        if not total:
            return scores
        for term in wanted & self.vocabulary.keys():
            column = self.vocabulary[term]
            segment = slice(self.starts[column], self.starts[column + 1])
            rows, counts = self.rows[segment], self.counts[segment]  # a term occurs once per row
            scores[rows] += weights[term] * counts / (counts + self.damping[rows])  # BM25 saturation
        return scores / np.float32(total)
