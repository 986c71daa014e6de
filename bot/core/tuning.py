"""Every tuned number of the retrieval core, in one frozen object, each with the reason it exists.

Ranking, confidence and the choice of answer sentences all read `TUNING`; nothing else in the core
holds a bare weight. A number here is changed only after measuring it on every development set
(`qabot eval` on ../shared/bench/python-faq, python-faq-pages and libs-faq-pages, and the shipped
sets in bench/); the figures behind each value are in the README ("How it answers").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    # -- candidates ------------------------------------------------------------------------------
    # FAISS returns views, several per passage: ask for this many per passage wanted, and at least
    # `min_candidates`, so that rescoring whole passages has enough of them to reorder.
    candidates_per_hit: int = 8
    min_candidates: int = 40
    # Passages with the best lexical coverage join the candidates whatever their dense score, so one
    # the model misses entirely (a name it reads poorly) can still be found.
    lexical_candidates: int = 10

    # -- scores ----------------------------------------------------------------------------------
    # What lexical coverage (in [0, 1)) adds to the dense score when ranking: small, because the
    # model's sense of meaning is the better judge of which passage answers and words break near-ties.
    ranking_lexical_weight: float = 0.1
    # ... and when deciding whether to answer at all, where finding the question's rare words is
    # strong evidence of its own.
    confidence_lexical_weight: float = 0.2
    # BM25's usual term saturation and length normalisation, used by the coverage score.
    bm25_k1: float = 1.2
    bm25_b: float = 0.75

    # -- optional re-ranker (a second, stronger model; off unless QABOT_RERANK_MODEL names one) -------
    # The best `rerank_depth` passages by the score above are re-ranked with a dense score blended from
    # both models: (1 - rerank_weight) * dense + rerank_weight * cos(re-ranker). With all-mpnet-base-v2,
    # the plain mean raised section recall@1 on all three development sets (+3.5 / +4.1 / +2.8 points);
    # 0.35 lost 2.7 points on libs-faq-pages, and mpnet alone (1.0) lost on python-faq-pages. 30 holds the
    # gold section of nearly every question (recall@5 is already 0.95-0.97 without the re-ranker).
    rerank_weight: float = 0.5
    rerank_depth: int = 30

    # -- answer sentences --------------------------------------------------------------------------
    # An answer quotes at most this many sentences (more reads as a wall of text in Discord) ...
    max_sentences: int = 3
    # ... each scoring nearly as well as the best one.
    sentence_margin: float = 0.15
    # Another section's passage contributes sentences only when it ranks almost as well as the best one
    # (every retrieved passage of the best one's own section may: a long section is split).
    supporting_margin: float = 0.05
    supporting_passages: int = 2
    # A sentence's score is its cosine to the question plus these: the share of the question's words it
    # holds (meaning counts most, shared words next) ...
    sentence_word_weight: float = 0.3
    # ... a head start for a section's opening sentence, which usually states its point
    # (opening_bonus / (1 + position in the section)) ...
    opening_bonus: float = 0.1
    # ... less for each section below the best one (at 0.05 rather than 0.1, "What is a scikit-learn
    # pipeline?" was answered only with an FAQ's aside that mentions pipelines) ...
    lower_passage_penalty: float = 0.1
    # ... and a bonus for the sentence that opens "X is ..." when the question is "What is X?" (the
    # model's closest sentence to "What is JAX?" was JAX's history).
    definition_bonus: float = 0.15
    # A quoted sentence that points back ("It was created at FAIR") brings up to this many before it.
    max_context_sentences: int = 2


TUNING = Tuning()
