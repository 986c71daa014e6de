"""A pasted error is a question: its exception line is what to search with."""

from bot.core.questions import search_text

TRACEBACK = """My training script crashes:
Traceback (most recent call last):
  File "/home/me/train.py", line 41, in <module>
    loss = criterion(model(batch), labels)
  File "/usr/lib/python3/site-packages/torch/nn/modules/module.py", line 1739, in _call_impl
    return forward_call(*args, **kwargs)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
RuntimeError: Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"""


def test_a_traceback_is_searched_by_its_exception_line_and_the_users_words():
    text = search_text(TRACEBACK)
    assert text.startswith("My training script crashes:")
    assert "RuntimeError: Expected all tensors to be on the same device" in text
    for frame_detail in ("train.py", "line 41", "forward_call", "^^^", "Traceback"):
        assert frame_detail not in text


def test_run_specific_details_are_generalised():
    assert "cuda:0" not in search_text("RuntimeError: found two devices, cuda:0 and cpu!")
    assert "0x7f" not in search_text("TypeError: object at 0x7f3a2c1b0d90 is not callable")


def test_the_last_exception_is_the_one_searched():
    chained = "KeyError: 'label'\n\nDuring handling of the above exception, another exception occurred:\n\nValueError: no labels"
    assert search_text(chained).endswith("ValueError: no labels")
    assert "KeyError" not in search_text(chained) and "During handling" not in search_text(chained)


def test_a_dotted_exception_name_counts():
    assert search_text("  torch.cuda.OutOfMemoryError: CUDA out of memory.").startswith(
        "torch.cuda.OutOfMemoryError"
    )


def test_ordinary_questions_are_searched_as_asked():
    for question in (
        "What is JAX?",
        "How do I handle errors in Keras?",
        "Is ValueError a subclass of Exception?",
    ):
        assert search_text(question) == question


def test_a_question_of_invisible_characters_is_empty():
    import pytest

    from bot.core.service import clean_question
    from bot.errors import EmptyQuestion

    for question in ("\u200b\u200b\u200b", "\ufeff", "\u202e\u202c", "\u2066 \u2069\n\u00ad"):
        with pytest.raises(EmptyQuestion):
            clean_question(question, 4000)


def test_direction_overrides_are_dropped_so_the_echoed_question_reads_as_typed():
    from bot.core.service import clean_question

    assert clean_question("\u202eWhat is\u200b JAX?\u202c", 4000) == "What is JAX?"


def test_the_worst_pasted_tracebacks_are_read_in_linear_time():
    import time

    frames = '  File "/x/y.py", line 12, in f\n    foo(bar)\n    ^^^^^^^^\n' * 20_000
    worst = {
        "20,000 frames": f"Traceback (most recent call last):\n{frames}RuntimeError: boom",
        "dotted names": "A." * 500_000,
        "spaces": "E" + " " * 1_000_000 + "x",
        "exception words": "Error" * 200_000 + "x",
        "10,000 newlines": "\n" * 10_000,
    }
    for name, question in worst.items():
        started = time.perf_counter()
        search_text(question)
        # Measured 0.2 s at most here; a regex that backtracks would take minutes on a megabyte.
        assert time.perf_counter() - started < 2.0, name
