"""Composing answers from hits: threshold, key sentences, citations (pure, no model)."""

from bot.core.answer import NO_ANSWER, compose_answer, quoted_sentences
from bot.core.chunking import Passage
from bot.core.search import Hit


def hit(text: str, score: float, rank: int = 0, title: str = "PyTorch", path: str = "pytorch.md") -> Hit:
    passage = Passage(f"id{rank}", path, title, "History", text, "https://pytorch.org/", rank)
    return Hit(passage, rank, dense=score, lexical=0.0)


def sentences_of(question: str, hits: list[Hit], scorer) -> list[str]:
    """The sentences quoted_sentences picks, in order, without the hit each comes from."""
    return [sentence for _, sentence in quoted_sentences(question, hits, scorer)]


TEXT = (
    "PyTorch is a deep-learning framework. It was created at Meta's FAIR lab. "
    "It has a large community. Many papers use it."
)


def test_below_threshold_refuses_and_offers_closest_titles():
    hits = [hit(TEXT, 0.3), hit("Other.", 0.2, 1, title="JAX", path="jax.md"), hit("More.", 0.1, 2)]
    answer = compose_answer("Who made it?", hits, threshold=0.45)
    assert not answer.answered and answer.text == NO_ANSWER
    assert answer.suggestions == ("PyTorch", "JAX") and answer.sources == () and len(answer.hits) == 3


def test_no_hits_is_a_refusal_with_zero_confidence():
    answer = compose_answer("anything", [], threshold=0.45)
    assert not answer.answered and answer.confidence == 0.0


def test_answer_quotes_matching_sentences_and_cites_the_passage():
    answer = compose_answer("Which lab created PyTorch?", [hit(TEXT, 0.7)], threshold=0.45)
    assert answer.answered and answer.confidence == 0.7
    assert "It was created at Meta's FAIR lab." in answer.sentences
    assert "Many papers use it." not in answer.sentences
    source = answer.sources[0]
    assert (source.title, source.section, source.path, source.url) == (
        "PyTorch",
        "History",
        "pytorch.md",
        "https://pytorch.org/",
    )


def test_the_scorer_decides_over_shared_words():
    text = "PyTorch is a deep-learning framework. PyTorch has a large community. Many papers use PyTorch."

    def scorer(sentences):
        return [0.9 if "community" in s else 0.1 for s in sentences]

    chosen = sentences_of("Is PyTorch a popular framework?", [hit(text, 0.7)], scorer)
    assert chosen[0] == "PyTorch has a large community."
    assert "PyTorch is a deep-learning framework." not in chosen


def test_a_lone_best_sentence_is_completed_by_the_one_after_it():
    text = "PyTorch is a deep-learning framework. FAIR created PyTorch. PyTorch has a large community."

    def scorer(sentences):
        return [0.9 if "created" in s else 0.1 for s in sentences]

    chosen = sentences_of("Origin?", [hit(text, 0.7)], scorer)
    assert chosen == ["FAIR created PyTorch.", "PyTorch has a large community."]


def test_a_sentence_that_points_back_brings_the_sentences_it_points_to():
    def scorer(sentences):
        return [0.9 if "community" in s else 0.1 for s in sentences]

    chosen = sentences_of("Is it popular?", [hit(TEXT, 0.7)], scorer)
    assert chosen[:3] == [
        "PyTorch is a deep-learning framework.",
        "It was created at Meta's FAIR lab.",
        "It has a large community.",
    ]
    long_way_back = "PyTorch is a framework. It is fast. It is free. It has a large community."
    chosen = sentences_of("Is it popular?", [hit(long_way_back, 0.7)], scorer)
    assert chosen == ["It is fast.", "It is free.", "It has a large community."]  # two back at most
    after_a_question = 'Who uses it? "Is it popular?" It has a large community.'
    chosen = sentences_of("Is it popular?", [hit(after_a_question, 0.7)], scorer)
    assert chosen == ["It has a large community."]  # a question is not context
    other_passage = [hit("PyTorch is a framework.", 0.7), hit("It has a large community.", 0.69, 1)]
    assert quoted_sentences("Is it popular?", other_passage, scorer) == [(1, "It has a large community.")]


def test_a_sentence_introducing_code_brings_the_code():
    text = (
        "`is_available()` is True when a GPU is usable. A quick diagnostic script:\n\n"
        "```python\nimport torch\nprint(torch.cuda.is_available())\n```\n\nIt prints the version too."
    )

    def scorer(sentences):
        return [0.9 if "GPU" in s else 0.5 if "script" in s else 0.1 for s in sentences]

    chosen = sentences_of("How do I check for a GPU?", [hit(text, 0.7)], scorer)
    assert chosen[1] == "A quick diagnostic script:"
    assert chosen[2].startswith("```python") and "is_available()" in chosen[2]
    assert "It prints the version too." not in chosen
    answer = compose_answer("How do I check for a GPU?", [hit(text, 0.7)], 0.45, scorer)
    assert "A quick diagnostic script:\n```python\nimport torch" in answer.text


def test_a_question_in_the_text_is_replaced_by_the_answer_after_it():
    faq = '"Who made PyTorch?" Meta\'s AI lab made it. "Is it free?" Yes, it is open source.'

    def scorer(sentences):  # the FAQ's own question resembles the user's most
        return [0.95 if s == '"Who made PyTorch?"' else 0.3 for s in sentences]

    chosen = sentences_of("Who made PyTorch?", [hit(faq, 0.7)], scorer)
    assert chosen == ["Meta's AI lab made it."]
    only_questions = sentences_of("Who made PyTorch?", [hit('"Who made PyTorch?"', 0.7)], scorer)
    assert only_questions == ['"Who made PyTorch?"']  # nothing better to quote


def test_a_close_second_passage_is_cited_too_and_a_distant_one_is_not():
    hits = [hit(TEXT, 0.70), hit("Meta released it in 2016.", 0.68, 1, path="meta.md"), hit("Far.", 0.40, 2)]
    answer = compose_answer("When did Meta create PyTorch?", hits, threshold=0.45)
    assert [s.score for s in answer.sources] == [0.70, 0.68]


def test_a_close_second_passage_the_answer_quotes_nothing_from_is_not_cited():
    def scorer(sentences):
        return [0.9 if "created" in s else 0.1 for s in sentences]

    hits = [hit(TEXT, 0.70), hit("Meta released it in 2016.", 0.68, 1, path="history.md")]
    answer = compose_answer("Who created PyTorch?", hits, 0.45, scorer)
    assert "Meta released it in 2016." not in answer.sentences
    assert [s.path for s in answer.sources] == ["pytorch.md"]


def test_a_what_is_question_prefers_the_sentence_that_defines_its_subject():
    text = "JAX is a library for array programs. Google uses it widely. JAX grew out of research at Google."

    def scorer(sentences):  # the model likes the history sentence better
        return [0.9 if "grew" in s else 0.6 if "library" in s else 0.1 for s in sentences]

    assert "JAX is a library for array programs." in sentences_of("What is JAX?", [hit(text, 0.7)], scorer)
    history = sentences_of("Where did JAX come from?", [hit(text, 0.7)], scorer)
    assert history == ["JAX grew out of research at Google."]


def test_definition_questions_and_definitions_are_recognised():
    from bot.core.answer import defined_subject, defines

    assert defined_subject("What is JAX?") == {"jax"} == defined_subject("what's JAX")
    assert defined_subject("What does BPE mean?") == {"bpe"}
    assert defined_subject("How do I install JAX?") == set()
    assert defines("XLA (Accelerated Linear Algebra) is a compiler.", {"xla"})
    assert not defines("In JAX, devices are listed by jax.devices().", {"jax"})
    # What is done with X is not what X is ("What is JAX?" opened with JAX's uses).
    assert not defines("JAX is used for large-scale model training.", {"jax"})
    assert not defines("PyTorch is widely adopted in research.", {"pytorch"})
    assert defines("JAX is an open-source library from Google.", {"jax"})


def test_a_code_block_brings_the_sentence_that_introduces_it():
    text = "Check the versions like this:\n\n```python\nimport torch\nprint(torch.version.cuda)\n```"

    def scorer(sentences):  # the code resembles the question most
        return [0.9 if "torch.version" in s else 0.1 for s in sentences]

    chosen = sentences_of("What CUDA version does torch use?", [hit(text, 0.7)], scorer)
    assert chosen[0] == "Check the versions like this:" and chosen[1].startswith("```python")
    prose = "Torch is big. It prints the version.\n\n```python\nimport torch\nprint(torch.version.cuda)\n```"
    chosen = sentences_of("What CUDA version does torch use?", [hit(prose, 0.7)], scorer)
    assert chosen == ["Torch is big.", "It prints the version.", prose.split("\n\n")[1]]  # never bare code


def test_sentences_from_two_passages_of_one_article_keep_the_article_order():
    from dataclasses import replace

    later = hit("The second step trains a reward model.", 0.70)
    later = Hit(replace(later.passage, ordinal=5), 0, later.dense, later.lexical)
    earlier = hit("The first step collects human rankings.", 0.69, rank=1)  # same article, ordinal 1
    other = hit("Other frameworks differ.", 0.68, rank=2, path="other.md")

    def scorer(sentences):
        return [0.8 for _ in sentences]

    chosen = quoted_sentences("How are the steps done?", [later, earlier, other], scorer)
    assert chosen[:2] == [
        (1, "The first step collects human rankings."),
        (0, "The second step trains a reward model."),
    ]


def test_two_quoted_passages_of_one_section_are_one_source():
    first = hit("Subclass Dataset and define two methods.", 0.70)
    second = hit("Wrap it in a DataLoader for batches.", 0.69, rank=1)  # same article and section
    answer = compose_answer("How do I load data?", [first, second], 0.45, lambda s: [0.8 for _ in s])
    assert len(answer.sentences) == 2
    [source] = answer.sources
    assert source.passage_ids == ("id0", "id1") and source.score == first.score
    assert answer.uncited_hits() == []


def test_the_best_section_is_quoted_first_even_when_the_article_puts_it_later():
    """An answer citing "What ChatGPT is built with" first must not open with "What is ChatGPT"."""
    from dataclasses import replace

    best = hit("OpenAI trains its models with PyTorch.", 0.70)
    best = Hit(replace(best.passage, section="Built with", ordinal=9), 0, best.dense, best.lexical)
    earlier = hit("ChatGPT is an assistant made by OpenAI.", 0.69, rank=1)  # same article, ordinal 1
    answer = compose_answer("What is ChatGPT built with?", [best, earlier], 0.45, lambda s: [0.8 for _ in s])
    assert answer.sentences[0] == "OpenAI trains its models with PyTorch."
    assert [source.section for source in answer.sources] == ["Built with", "History"]


def test_the_same_sentence_in_copied_articles_is_quoted_once():
    copies = [hit(TEXT, 0.7 - rank * 0.001, rank, path=f"copy-{rank}.md") for rank in range(20)]
    answer = compose_answer("Which lab created PyTorch?", copies, threshold=0.45)
    assert answer.answered and len(answer.sentences) == len(set(answer.sentences))
    assert [s.path for s in answer.sources] == ["copy-0.md"]


def test_a_long_sections_opening_is_quoted_even_when_its_later_part_ranked_first():
    """A section split in two: its later part ranks first on shared words, a passage of another section
    second, the section's opening (which says what it is about) only third, too far below to be a
    supporting passage. The answer still quotes the section's opening, first, and cites one section."""
    from dataclasses import replace

    later_part = hit("The fast tokenizers are written in Rust.", 0.64)
    later_part = Hit(replace(later_part.passage, ordinal=5), 0, later_part.dense, later_part.lexical)
    other = hit("Pipelines bundle a tokenizer and a model.", 0.63, rank=1, path="other.md")
    opening = hit("A tokenizer turns text into token ids. Call it on a string.", 0.51, rank=2)  # ordinal 2

    def scorer(sentences):
        return [0.6 if "token ids" in s else 0.5 for s in sentences]

    answer = compose_answer("How do I tokenize text?", [later_part, other, opening], 0.45, scorer)
    assert answer.sentences[0] == "A tokenizer turns text into token ids."
    assert answer.sources[0].section == "History" and answer.sources[0].path == "pytorch.md"
    assert set(answer.sources[0].passage_ids) >= {"id2"}


def test_the_best_section_is_cited_first_even_when_only_its_lower_part_is_quoted():
    from dataclasses import replace

    best = hit("Nothing useful here.", 0.70)
    close = hit("A close second says something.", 0.68, rank=1, path="other.md")
    lower_part = hit("The answer is in the second half.", 0.50, rank=2)  # best's section, ordinal 2
    lower_part = Hit(replace(lower_part.passage, ordinal=7), 2, lower_part.dense, lower_part.lexical)

    def scorer(sentences):
        return [0.2 if "Nothing" in s else 0.9 for s in sentences]

    answer = compose_answer("Where is it?", [best, close, lower_part], 0.45, scorer)
    assert [s.path for s in answer.sources] == ["pytorch.md", "other.md"]
    assert answer.sentences[0] == "The answer is in the second half."
