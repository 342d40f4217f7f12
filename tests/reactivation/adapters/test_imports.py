"""How an export's bytes become the CSV reader's lines."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from reactivation.adapters.imports import decoded_lines


def test_crlf_a_lone_cr_and_lf_all_end_a_line_and_a_bom_is_dropped() -> None:
    text = "\ufeffa,b\r\nc,d\re,f\ng,h".encode()
    assert list(decoded_lines([text])) == ["a,b\n", "c,d\n", "e,f\n", "g,h"]


def test_bytes_that_are_not_utf8_become_the_replacement_character() -> None:
    assert list(decoded_lines([b"P-7,Zo\xeb\n"])) == ["P-7,Zo\ufffd\n"]


@given(st.binary(max_size=60), st.lists(st.integers(min_value=1, max_value=60), max_size=6))
def test_the_lines_do_not_depend_on_where_the_chunks_split(data: bytes, cuts: list[int]) -> None:
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    chunks = [data[a:b] for a, b in itertools.pairwise(bounds)]
    assert list(decoded_lines(chunks)) == list(decoded_lines([data]))
