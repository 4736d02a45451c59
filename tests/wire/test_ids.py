"""``parse_id``: a positive int64 written in ASCII digits, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zoomlive.wire.ids import MAX_ID, parse_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1), ("68423085", 68423085), ("007", 7), (str(MAX_ID), MAX_ID),
        ("0" + str(MAX_ID), None),  # 20 characters: longer than any int64
        (1, 1), (MAX_ID, MAX_ID),
    ],
)  # fmt: skip
def test_accepts_positive_int64(raw: str | int, expected: int | None) -> None:
    assert parse_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "", "0", "00", "-1", "+5", " 5", "5 ", "5_0", "1e3", "0x10", "1.0", "١٢٣", "\uff15",
        str(MAX_ID + 1), "9" * 19, "9" * 10_000, 0, -1, MAX_ID + 1, True, False,
    ],
)  # fmt: skip
def test_refuses_everything_else(raw: str | int) -> None:
    assert parse_id(raw) is None


@given(st.integers())
def test_ints_and_their_decimal_text_agree(value: int) -> None:
    expected = value if 0 < value <= MAX_ID else None
    assert parse_id(value) == expected
    assert parse_id(str(value)) == expected


@given(st.text(max_size=25))
def test_text_is_an_id_only_if_ascii_digits(raw: str) -> None:
    got = parse_id(raw)
    if got is not None:
        assert raw.isascii() and raw.isdigit() and int(raw) == got and 0 < got <= MAX_ID
    elif raw.isascii() and raw.isdigit():
        assert not 0 < int(raw) <= MAX_ID
