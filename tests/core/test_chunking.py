import pytest

from bot.core.chunking import chunk_document, section_name, split_sections, split_sentences
from bot.core.documents import Document


def words(text: str) -> int:
    return len(text.split())


def doc(body: str, title: str = "Guide") -> Document:
    return Document(path="guide.md", title=title, body=body, url="https://example.org")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three?", ["One.", "Two!", "Three?"]),
        ("Use e.g. Adam here. Then stop.", ["Use e.g. Adam here.", "Then stop."]),
        ("Version 2.0 is out. Good.", ["Version 2.0 is out.", "Good."]),
        ("no end", ["no end"]),
        ('Asked "Who owns it?" Meta does.', ['Asked "Who owns it?"', "Meta does."]),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_sections_follow_heading_path_and_ignore_hashes_in_code():
    body = "# Guide\nintro\n## Install\npip it\n```\n# not a heading\n```\n### GPU\ncuda\n## Use\nrun"
    sections = split_sections(doc(body))
    assert [s.headings for s in sections] == [
        ("Guide",),
        ("Guide", "Install"),
        ("Guide", "Install", "GPU"),
        ("Guide", "Use"),
    ]
    assert "# not a heading" in "\n".join(sections[1].blocks)


def test_section_name_drops_a_heading_that_repeats_the_title():
    assert section_name(("Guide", "Install", "GPU"), "Guide") == "Install › GPU"


def test_passages_fit_the_token_budget_including_heading_path():
    sentence = "This sentence has exactly eight words in it. "
    body = "## Long\n" + sentence * 40 + "\n\n" + sentence * 3
    passages = chunk_document(doc(body), words, max_tokens=50)
    assert len(passages) > 3
    for passage in passages:
        assert words(passage.embedding_text) <= 50
        assert passage.section == "Long" and passage.heading_path == "Guide › Long"


def test_an_overlong_sentence_is_split_by_words():
    body = "word " * 300
    passages = chunk_document(doc(body), words, max_tokens=40)
    assert all(words(p.embedding_text) <= 40 for p in passages)
    assert sum(words(p.text) for p in passages) == 300


def test_passage_ids_are_stable_and_unique():
    body = "## A\nsame text\n\n## B\nsame text\n\n## A\nsame text"
    first = chunk_document(doc(body), words, 100)
    second = chunk_document(doc(body), words, 100)
    assert [p.id for p in first] == [p.id for p in second]
    assert len({p.id for p in first}) == len(first) == 3


def test_views_have_paragraphs_only_when_a_passage_has_several():
    one = chunk_document(doc("## S\nonly one paragraph"), words, 100)[0]
    assert one.views().texts() == [one.embedding_text, one.text]
    two = chunk_document(doc("## S\nfirst para\n\nsecond para"), words, 100)[0]
    assert len(two.views().texts()) == 6 and "Guide › S\nsecond para" in two.views().texts()


def test_a_code_block_with_blank_lines_is_one_quotable_sentence():
    from bot.core.answer import join_sentences
    from bot.core.chunking import passage_sentences

    code = "```python\nimport keras\n\nmodel = keras.Sequential()\n\nmodel.summary()\n```"
    text = f"Build it like this:\n\n{code}\n\nThen train it. Then save it."
    sentences = passage_sentences(text)
    assert sentences == ["Build it like this:", code, "Then train it.", "Then save it."]
    assert join_sentences(sentences[:2]) == f"Build it like this:\n{code}"  # lines kept, not joined


def test_a_code_block_too_long_for_one_passage_is_cut_between_lines_into_fenced_blocks():
    from bot.core.chunking import passage_sentences

    setup = "\n".join(f"import module{n}" for n in range(12))
    loop = "\n".join(f"step{n} = run(step{n - 1})" for n in range(1, 16))
    long_line = "call(" + ", ".join(f"arg{n}" for n in range(60)) + ")"
    code = f"```python\n{setup}\n\n{loop}\n{long_line}\n```"
    passages = chunk_document(doc(f"## Code\nHere is the script:\n\n{code}"), words, max_tokens=40)

    assert all(words(p.embedding_text) <= 40 for p in passages)
    sentences = [s for p in passages for s in passage_sentences(p.text)]
    assert sentences[0] == "Here is the script:"
    pieces = sentences[1:]  # each quotable as one block of code, its lines kept
    assert len(pieces) > 2
    for piece in pieces:
        lines = piece.splitlines()
        assert lines[0] == "```python" and lines[-1] == "```"
    assert pieces[0] == f"```python\n{setup}\n```"  # cut at the blank line first
    kept = [line for piece in pieces for line in piece.splitlines() if not line.startswith("```")]
    assert kept[: 12 + 15] == [*setup.splitlines(), *loop.splitlines()]
    assert " ".join(kept[12 + 15 :]).split() == long_line.split()  # only an overlong line is cut by words


def test_the_view_layout_is_pinned_from_texts_to_scores():
    """The index stores view vectors in Views.texts() order and search decodes them with ViewScores:
    the two must agree, or every stored index would be scored with its views swapped."""
    from bot.core.chunking import ViewScores

    passage = chunk_document(doc("## S\nfirst para\n\nsecond para"), words, 100)[0]
    views = passage.views()
    assert views.texts() == [
        "Guide › S\nfirst para\n\nsecond para",
        "first para\n\nsecond para",
        "Guide › S\nfirst para",
        "first para",
        "Guide › S\nsecond para",
        "second para",
    ]
    decoded = ViewScores.decode([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    assert decoded == ViewScores(0.0, 1.0, (2.0, 4.0), (3.0, 5.0))
    texts = views.texts()
    by_score = {text: index for index, text in enumerate(texts)}
    assert texts[by_score[views.plain]] == views.plain
    assert [texts[int(s)] for s in decoded.paragraphs_plain] == list(views.paragraphs_plain)
    assert [texts[int(s)] for s in decoded.paragraphs_with_heading] == list(views.paragraphs_with_heading)
