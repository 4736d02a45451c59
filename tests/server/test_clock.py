"""The clock refuses values outside 1970-01-01 .. 9999-12-30 and changes nothing then."""

from __future__ import annotations

import math

import pytest

from zoomlive.server.clock import MAX_TIME, MIN_TIME, Clock


@pytest.mark.parametrize("at", [1e308, -1.0, MAX_TIME + 1, math.inf, -math.inf, math.nan])
def test_set_and_freeze_refuse_out_of_range(at: float) -> None:
    clock = Clock()
    clock.freeze(1_700_000_000)
    with pytest.raises(ValueError):
        clock.set(at)
    with pytest.raises(ValueError):
        clock.freeze(at)
    assert clock.now() == 1_700_000_000


@pytest.mark.parametrize("seconds", [1e308, -1e308, MAX_TIME, -1_700_000_001, math.nan])
def test_advance_refuses_to_leave_the_range(seconds: float) -> None:
    for frozen in (True, False):
        clock = Clock()
        clock.set(1_700_000_000)
        if frozen:
            clock.freeze()
        before = clock.now()
        with pytest.raises(ValueError):
            clock.advance(seconds)
        assert abs(clock.now() - before) < 60  # unchanged (a running clock moves on)


def test_the_edges_are_usable() -> None:
    clock = Clock()
    clock.freeze(MAX_TIME)
    assert clock.datetime().isoformat() == "9999-12-30T23:59:59+00:00"
    clock.set(MIN_TIME)
    assert clock.datetime().isoformat() == "1970-01-01T00:00:00+00:00"
