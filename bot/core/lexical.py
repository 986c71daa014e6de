"""Lexical evidence: how much of a question's rare vocabulary a passage contains.

A small sentence-embedding model knows everyday English well but not the names this domain is full of:
"What is XLA?" scores 0.21 against the passage that defines XLA, and `torch.compile`, `DataLoader`,
`SavedModel` or RLHF fare little better. The words themselves are the evidence, so every passage also
gets a lexical score, the question's *coverage*:

    coverage(q, d) = sum over terms t of q found in d of  idf(t)^2 * saturation(tf(t, d))
                     -----------------------------------------------------------------
                                   sum over all terms t of q of  idf(t)^2

with BM25's idf and saturation (k1 = 1.2, b = 0.75). Squaring idf makes a rare term dominate the
common words around it, and dividing by the question's own total keeps the score in [0, 1) whatever
the question's length, so it can join a confidence: a question whose rare words appear nowhere
(a library the knowledge base never mentions) gets little coverage anywhere. Unlike a plain BM25 rank,
this is an absolute measure, which is why it is computed here and not with a BM25 library: those expose
ranks and raw sums, not per-term weights and the question's own total.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse
import Stemmer

K1 = 1.2
B = 0.75
# Words: letters first, then identifier characters, so `torch.compile`, `bfloat16` and `C++` stay whole.
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_+#.-]*[A-Za-z0-9+#]|[A-Za-z0-9]")
STOPWORDS = frozenset(
    "a an and are as at be by can could do does did for from has have how i if in into is it its me "
    "my of on or so than that the their then there these this to was what when where which who why "
    "will with would you your should may might must we our they them use using used get make ".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    # A cache larger than a big knowledge base's vocabulary: past the default 10,000 words it thrashes.
    return Stemmer.Stemmer("english", 500_000)


def terms(text: str) -> list[str]:
    """Stemmed, lower-cased words that carry meaning (stopwords dropped), in order."""
    return _stemmer().stemWords([w for w in WORD.findall(text.lower()) if w not in STOPWORDS])


class LexicalIndex:
    """How often each term occurs in each passage, as one passages x terms sparse matrix stored by
    column (a question reads only its own terms' columns), and each passage's BM25 length damping.
    Saturated frequencies are worked out at query time for those few columns, so the index holds
    one matrix, not two. Read-only."""

    def __init__(self, vocabulary: dict[str, int], counts: scipy.sparse.spmatrix) -> None:
        self.vocabulary = vocabulary
        self.counts = scipy.sparse.csc_matrix(counts, dtype=np.float32)
        lengths = np.asarray(self.counts.sum(axis=1), dtype=np.float64).ravel()
        average = float(lengths.mean()) if lengths.size and lengths.sum() else 1.0
        self.damping = (K1 * (1 - B + B * lengths / average)).astype(np.float32)
        self.document_frequency = np.diff(self.counts.indptr)

    @property
    def passage_count(self) -> int:
        return self.counts.shape[0]

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        previous: LexicalIndex | None = None,
        previous_rows: Sequence[int | None] = (),
    ) -> LexicalIndex:
        """Count the terms of `texts`. previous_rows[i], when given, is the row of `previous` that holds
        the same text as texts[i]: its counts are copied instead of tokenizing it again (tokenizing is
        most of the cost, 1.3 s per 10,000 passages)."""
        vocabulary = dict(previous.vocabulary) if previous else {}
        old = previous.counts.tocsr() if previous is not None else None  # rows, once per build
        indices: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for row, text in enumerate(texts):
            old_row = previous_rows[row] if row < len(previous_rows) else None
            if old is not None and old_row is not None:
                start, end = old.indptr[old_row : old_row + 2]
                indices.append(old.indices[start:end])
                values.append(old.data[start:end])
                continue
            counted = Counter(terms(text))
            indices.append(np.array([vocabulary.setdefault(t, len(vocabulary)) for t in counted], np.int32))
            values.append(np.array(list(counted.values()), dtype=np.float32))
        indptr = np.concatenate([[0], np.cumsum([len(i) for i in indices])]).astype(np.int64)
        counts = scipy.sparse.csr_matrix(
            (
                np.concatenate(values) if values else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int32),
                indptr,
            ),
            shape=(len(texts), len(vocabulary)),
        )
        return cls(*_without_unused_terms(vocabulary, counts))

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
        known = [term for term in wanted if term in self.vocabulary]
        if known:
            columns = [self.vocabulary[term] for term in known]
            column_weights = np.array([weights[term] for term in known], dtype=np.float32)
            found = self.counts[:, columns]
            found.data = found.data / (found.data + self.damping[found.indices])  # BM25 saturation
            scores += found @ column_weights
        return scores / np.float32(total)

    # -- on disk ---------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        with path.open("wb") as handle:
            np.savez(
                handle,
                terms=np.array(words, dtype=np.str_),
                data=self.counts.data,
                indices=self.counts.indices,
                indptr=self.counts.indptr,
                shape=np.array(self.counts.shape, dtype=np.int64),
            )

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        with np.load(path, allow_pickle=False) as stored:
            shape = tuple(int(n) for n in stored["shape"])
            counts = scipy.sparse.csc_matrix(
                (stored["data"], stored["indices"], stored["indptr"]), shape=shape
            )
            words: list[str] = stored["terms"].tolist()
        return cls({word: column for column, word in enumerate(words)}, counts)


def _without_unused_terms(
    vocabulary: dict[str, int], counts: scipy.sparse.csr_matrix
) -> tuple[dict[str, int], scipy.sparse.csr_matrix]:
    """Drop the terms no passage uses any more (those of removed passages), renumbering the rest."""
    used = np.zeros(len(vocabulary), dtype=bool)
    used[counts.indices] = True
    if used.all():
        return vocabulary, counts
    new_column = np.cumsum(used) - 1
    remapped = scipy.sparse.csr_matrix(
        (counts.data, new_column[counts.indices], counts.indptr), shape=(counts.shape[0], int(used.sum()))
    )
    return {term: int(new_column[c]) for term, c in vocabulary.items() if used[c]}, remapped
