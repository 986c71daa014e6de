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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
    return Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """Stemmed, lower-cased words that carry meaning (stopwords dropped), in order."""
    words = [w.lower() for w in WORD.findall(text)]
    return _stemmer().stemWords([w for w in words if w not in STOPWORDS])


@dataclass(frozen=True)
class LexicalIndex:
    """Saturated term frequencies of every passage (a passages x terms sparse matrix) and the
    document frequency of every term, enough to score any question's coverage of any passage."""

    vocabulary: dict[str, int]
    saturation: scipy.sparse.csc_matrix
    document_frequency: np.ndarray

    @property
    def passage_count(self) -> int:
        return self.saturation.shape[0]

    @classmethod
    def build(cls, texts: Iterable[str]) -> LexicalIndex:
        counts = [Counter(terms(text)) for text in texts]
        vocabulary: dict[str, int] = {}
        for counted in counts:
            for term in counted:
                vocabulary.setdefault(term, len(vocabulary))
        lengths = np.array([sum(c.values()) for c in counts], dtype=np.float64)
        average = float(lengths.mean()) if len(lengths) and lengths.sum() else 1.0
        rows, columns, values = [], [], []
        for row, counted in enumerate(counts):
            damping = K1 * (1 - B + B * lengths[row] / average)
            for term, tf in counted.items():
                rows.append(row)
                columns.append(vocabulary[term])
                values.append(tf / (tf + damping))
        shape = (len(counts), len(vocabulary))
        matrix = scipy.sparse.csc_matrix(
            (np.array(values, dtype=np.float32), (rows, columns)), shape=shape, dtype=np.float32
        )
        frequency = np.diff(matrix.indptr).astype(np.int64)  # passages per term = entries per column
        return cls(vocabulary, matrix, frequency)

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
            scores += self.saturation[:, columns] @ column_weights
        return scores / np.float32(total)

    # -- on disk ---------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        with path.open("wb") as handle:
            np.savez(
                handle,
                terms=np.array(words, dtype=np.str_),
                data=self.saturation.data,
                indices=self.saturation.indices,
                indptr=self.saturation.indptr,
                shape=np.array(self.saturation.shape, dtype=np.int64),
            )

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        with np.load(path, allow_pickle=False) as stored:
            shape = tuple(int(n) for n in stored["shape"])
            matrix = scipy.sparse.csc_matrix(
                (stored["data"], stored["indices"], stored["indptr"]), shape=shape
            )
            words: Sequence[str] = stored["terms"].tolist()
        vocabulary = {word: column for column, word in enumerate(words)}
        return cls(vocabulary, matrix, np.diff(matrix.indptr).astype(np.int64))
