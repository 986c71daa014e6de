"""The layout of lexical.npz: the passages x terms count matrix stored by column, and the acronyms.

Arrays (no pickles, so loading a file from elsewhere runs no code):
    terms       str: the vocabulary; term i is column i
    starts      int64, len(terms) + 1: column c's entries are rows[starts[c]:starts[c + 1]]
    rows        int32: the passage row of each entry
    counts      float32: how often the term occurs in that passage
    passages    int64 scalar: the number of passages (a passage may have no terms)
    acronyms    str: acronyms the passages define ...
    long_forms  str: ... and their long forms, aligned with `acronyms`
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.core.lexical import LexicalIndex


def save_lexical(lexical: LexicalIndex, path: Path) -> None:
    words = sorted(lexical.vocabulary, key=lexical.vocabulary.__getitem__)
    with path.open("wb") as handle:
        np.savez(
            handle,
            terms=np.array(words, dtype=np.str_),
            starts=lexical.starts,
            rows=lexical.rows,
            counts=lexical.counts,
            passages=np.array(lexical.passage_count, dtype=np.int64),
            acronyms=np.array(list(lexical.acronyms), dtype=np.str_),
            long_forms=np.array(list(lexical.acronyms.values()), dtype=np.str_),
        )


def load_lexical(path: Path) -> LexicalIndex:
    """Read lexical.npz; arrays that contradict each other raise ValueError."""
    with np.load(path, allow_pickle=False) as stored:
        words: list[str] = stored["terms"].tolist()
        starts, rows, counts = stored["starts"], stored["rows"], stored["counts"]
        passages = int(stored["passages"])
        defined = dict(zip(stored["acronyms"].tolist(), stored["long_forms"].tolist(), strict=True))
    if len(starts) != len(words) + 1 or len(rows) != len(counts) or starts[-1] != len(rows):
        raise ValueError(f"{path.name}: inconsistent lexical arrays")
    vocabulary = {word: column for column, word in enumerate(words)}
    return LexicalIndex(vocabulary, starts, rows, counts, passages, defined)
