"""The one cursor codec: what it encodes it decodes, and anything else is an invalid_cursor."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.core.errors import ApiProblem
from api.core.pagination import MAX_CURSOR_LENGTH, MAX_ID, decode, encode, paged
from db.paging import Page, cut

ids = st.integers(1, MAX_ID)
keys = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=64)
times = st.datetimes(min_value=datetime(1970, 1, 1), timezones=st.just(UTC))


def raw(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def refused(cursor: str, shape=(int,)) -> ApiProblem:
    with pytest.raises(ApiProblem) as caught:
        decode(cursor, shape)
    return caught.value


@given(ids)
def test_an_id_cursor_comes_back_as_the_same_id(value):
    assert decode(encode((value,)), (int,)) == (value,)


@given(keys)
def test_a_text_key_cursor_comes_back_as_the_same_key(value):
    assert decode(encode((value,)), (str,)) == (value,)


@given(times, ids)
def test_a_time_and_id_cursor_comes_back_as_the_same_instant_and_id(at, value):
    assert decode(encode((at, value)), (datetime, int)) == (at, value)


def test_an_instant_in_another_zone_comes_back_in_utc():
    at = datetime(2026, 3, 10, 12, 0, tzinfo=timezone(timedelta(hours=8)))
    assert decode(encode((at, 1)), (datetime, int)) == (datetime(2026, 3, 10, 4, 0, tzinfo=UTC), 1)


@given(st.text(max_size=300))
def test_any_text_is_a_key_of_the_right_shape_or_an_invalid_cursor(text):
    try:
        assert len(decode(text, (int,))) == 1
    except ApiProblem as problem:
        assert (problem.status, problem.code) == (422, "invalid_cursor")
        assert list(problem.errors) == ["cursor"]


@pytest.mark.parametrize("cursor", [
    "", "²", "abc", "a!b", raw(1, 0), raw(1, MAX_ID + 1), raw(1, -1), raw(1, True), raw(1, 1.0),
    raw(1, "1"), raw(2, 1), raw(True, 1), raw(1), raw(1, 1, 2), raw({"v": 1}), raw("x"),
    "A" * (MAX_CURSOR_LENGTH + 1), base64.urlsafe_b64encode(b"\xff\xfe[1,1]").decode(),
])
def test_a_cursor_that_is_not_one_id_is_refused(cursor):
    assert refused(cursor).code == "invalid_cursor"


@pytest.mark.parametrize(("cursor", "shape"), [
    (raw(1, "a\u00e9"), (str,)), (raw(1, "a\x00"), (str,)), (raw(1, ""), (str,)),
    (raw(1, "k" * 65), (str,)), (raw(1, 5), (str,)),
    (raw(1, "2026-03-10T04:00:00", 1), (datetime, int)),
    (raw(1, "0001-01-01T00:00:00+01:00", 1), (datetime, int)),
    (raw(1, "yesterday", 1), (datetime, int)), (raw(1, 1, 1), (datetime, int)),
])
def test_a_cursor_of_another_shape_is_refused(cursor, shape):
    assert refused(cursor, shape).code == "invalid_cursor"


def test_the_longest_keys_make_cursors_within_the_accepted_length():
    assert len(encode(("k" * 64,))) <= MAX_CURSOR_LENGTH
    assert len(encode((datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), MAX_ID))) \
        <= MAX_CURSOR_LENGTH


def test_a_page_with_more_rows_than_its_limit_names_the_last_row_shown():
    rows, key = cut([10, 20, 30], 2, lambda r: (r,))
    assert (rows, key) == ([10, 20], (20,))
    assert cut([10, 20], 2, lambda r: (r,)) == ([10, 20], None)
    assert cut([], 2, lambda r: (r,)) == ([], None)


def test_the_envelope_encodes_the_next_key_and_none_at_the_end():
    assert paged(Page([1], (7,)))["next_cursor"] == encode((7,))
    assert paged(Page([1, 2], None), lambda i: i * 10) == {"items": [10, 20], "next_cursor": None}
