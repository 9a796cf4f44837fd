"""The simulated clock: the demo's history moves it forward through the real services."""

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from freezegun.api import FrozenDateTimeFactory

from capacity import clock
from tests.factories import START

A_YEAR_AGO = START - timedelta(days=365)


def test_inside_the_block_now_is_the_simulated_moment_and_after_it_the_real_one(
    frozen: FrozenDateTimeFactory,
) -> None:
    with clock.simulated(A_YEAR_AGO) as simulated:
        assert clock.now() == A_YEAR_AGO
        frozen.tick(timedelta(hours=3))
        assert clock.now() == A_YEAR_AGO, "a simulated clock stands still until moved"
        simulated.move_to(A_YEAR_AGO + timedelta(days=2))
        assert clock.now() == A_YEAR_AGO + timedelta(days=2)
    assert clock.now() == START + timedelta(hours=3)


def test_the_simulated_clock_is_utc_whatever_zone_it_is_given(frozen: FrozenDateTimeFactory) -> None:
    paris = timezone(timedelta(hours=1))
    with clock.simulated(datetime(2025, 1, 1, 13, 0, tzinfo=paris)) as simulated:
        assert clock.now() == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
        assert clock.now().tzinfo == UTC
        simulated.move_to(datetime(2025, 1, 1, 15, 0, tzinfo=paris))
        assert clock.now().hour == 14


def test_the_simulated_clock_never_runs_backwards(frozen: FrozenDateTimeFactory) -> None:
    with clock.simulated(A_YEAR_AGO) as simulated:
        simulated.move_to(A_YEAR_AGO + timedelta(days=1))
        with pytest.raises(ValueError, match="cannot go back"):
            simulated.move_to(A_YEAR_AGO)
        assert clock.now() == A_YEAR_AGO + timedelta(days=1)


def test_the_simulated_clock_refuses_naive_times(frozen: FrozenDateTimeFactory) -> None:
    with pytest.raises(ValueError, match="aware"), clock.simulated(datetime(2025, 1, 1)):
        pass
    with clock.simulated(A_YEAR_AGO) as simulated, pytest.raises(ValueError, match="aware"):
        simulated.move_to(datetime(2025, 1, 1))


def test_moving_a_clock_whose_block_has_ended_is_an_error(frozen: FrozenDateTimeFactory) -> None:
    with clock.simulated(A_YEAR_AGO) as simulated:
        pass
    with pytest.raises(RuntimeError, match="outside"):
        simulated.move_to(START)


def test_another_thread_keeps_the_real_clock(frozen: FrozenDateTimeFactory) -> None:
    seen: list[datetime] = []
    with clock.simulated(A_YEAR_AGO):
        thread = threading.Thread(target=lambda: seen.append(clock.now()))
        thread.start()
        thread.join()
    assert seen == [START]
