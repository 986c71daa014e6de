"""Property test: any file name and any bytes give a safe name or an UploadRefused, nothing else."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import articles
from bot.errors import UploadRefused

SAFE = re.compile(r"^[a-z0-9][a-z0-9._-]*\.(md|txt|rst|html)$")


@settings(max_examples=100, deadline=None)
@given(
    st.text(max_size=300) | st.text(max_size=40).map(lambda name: name + ".md"),
    st.binary(max_size=2000) | st.text(max_size=2000).map(lambda text: f"---\n{text}\n---\nbody".encode()),
)
def test_any_upload_gives_a_safe_name_or_a_refusal(filename, data):
    try:
        name = articles.check_upload(filename, data, 1000)
    except UploadRefused as refused:
        assert refused.reason
    else:
        assert SAFE.match(name) and ".." not in name and len(name) <= articles.MAX_NAME
