"""Lexical coverage (pure: no model): rare words dominate, scores stay in [0, 1), and it round-trips."""

import numpy as np
import pytest

from bot.core.lexical import LexicalIndex, terms
from bot.core.store.lexical_file import load_lexical, save_lexical

PASSAGES = [
    "JAX compiles functions with XLA, an optimising compiler.",
    "PyTorch builds the graph as your Python code runs, which makes debugging easy.",
    "PyTorch models are saved with torch.save and loaded with torch.load.",
    "Keras models train with fit and are saved with model.save.",
]


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build(PASSAGES)


def test_identifiers_stay_whole_beside_their_parts_and_stopwords_go():
    assert terms("What does torch.compile do in C++?") == ["torch.compil", "torch", "compil", "c++"]
    assert "gradienttap" in terms("Record it with tf.GradientTape.")
    assert terms("e.g. this") == ["e.g"]  # one-letter parts are noise
    assert terms("Who is François Chollet?") == ["françoi", "chollet"]  # not "fran", "oi"


def test_british_and_american_spellings_meet():
    assert terms("optimiser normalisation behaviour analyse") == terms(
        "optimizer normalization behavior analyze"
    )
    assert terms("four hours wise raise") == ["four", "hour", "wise", "rais"]  # too short to be rewritten
    index = LexicalIndex.build(["Layer normalisation keeps activations stable.", "Dropout zeroes units."])
    american, british = index.coverage("What is layer normalization?"), index.coverage("layer normalisation")
    assert np.allclose(american, british) and american[0] > 0.4 and american[1] == 0


def test_a_rare_word_outweighs_the_common_words_around_it(index):
    coverage = index.coverage("How does PyTorch use XLA?")
    assert int(np.argmax(coverage)) == 0  # "XLA" appears once, "PyTorch" twice


def test_scores_stay_below_one_and_a_question_with_unknown_words_covers_less(index):
    known = index.coverage("What is XLA?")
    with_unknown = index.coverage("What is XLA in PaddlePaddle?")
    assert 0 < known.max() < 1
    assert with_unknown.max() < known.max()
    assert np.all(index.coverage("What is it?") == 0)  # nothing but stopwords


def test_saved_index_loads_with_the_same_scores(index, tmp_path):
    save_lexical(index, tmp_path / "lexical.npz")
    loaded = load_lexical(tmp_path / "lexical.npz")
    question = "How do I save a PyTorch model with torch.save?"
    assert np.allclose(loaded.coverage(question), index.coverage(question))
    assert loaded.idf("pytorch") == index.idf("pytorch")


def test_an_empty_knowledge_base_covers_nothing():
    assert LexicalIndex.build([]).coverage("What is XLA?").shape == (0,)


def test_reused_counts_equal_counting_again_and_skip_tokenizing(index, monkeypatch):
    import bot.core.lexical as lexical

    texts = [PASSAGES[2], "TensorFlow graphs run on TPUs.", PASSAGES[0]]  # one new text, two kept, one gone
    fresh = LexicalIndex.build(texts)
    tokenized: list[str] = []
    counting = lexical.terms
    monkeypatch.setattr(lexical, "terms", lambda text: tokenized.append(text) or counting(text))
    reused = LexicalIndex.build(texts, previous=index, previous_rows=[2, None, 0])
    assert tokenized == [texts[1]]
    assert set(reused.vocabulary) == set(fresh.vocabulary)  # the removed passage's words are gone
    for question in ("How do I save a PyTorch model?", "XLA on TPUs", "Keras fit"):
        assert np.allclose(reused.coverage(question), fresh.coverage(question))


def test_acronyms_defined_either_way_round_are_found_and_others_are_not():
    from bot.core.lexical import acronyms

    found = acronyms(
        [
            "Models learn from reinforcement learning from human feedback (RLHF) after pre-training.",
            "JAX compiles with XLA (Accelerated Linear Algebra). Track runs with Weights & Biases (W&B).",
            "The GPU (see the setup guide) must be visible. Use a CPU (for small models).",
        ]
    )
    assert found == {
        "RLHF": "reinforcement learning from human feedback",
        "XLA": "Accelerated Linear Algebra",
        "W&B": "Weights & Biases",
    }


def test_questions_get_the_long_form_of_a_defined_acronym_once(tmp_path):
    index = LexicalIndex.build(["It is trained with reinforcement learning from human feedback (RLHF)."])
    assert index.expand("What is RLHF?") == "What is RLHF (reinforcement learning from human feedback)?"
    spelled = "Is RLHF the same as reinforcement learning from human feedback?"
    assert index.expand(spelled) == spelled
    assert index.expand("What is XLA?") == "What is XLA?"
    save_lexical(index, tmp_path / "lexical.npz")
    assert load_lexical(tmp_path / "lexical.npz").acronyms == index.acronyms
