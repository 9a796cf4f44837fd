"""The one place that reads the clock, so that freezegun (in tests) and a simulated clock control all time.

The simulated clock is how the demo replays a year of history through the real services in a few
seconds: inside `simulated(...)` every `now()` is the moment the simulation has reached. It is a
context variable, so it is seen only by the code that set it, never by a server thread beside it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_simulated_now: ContextVar[datetime | None] = ContextVar("simulated_now", default=None)


def now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    simulated = _simulated_now.get()
    return simulated if simulated is not None else datetime.now(UTC)


class SimulatedClock:
    """A clock that stands still until moved forward."""

    def move_to(self, moment: datetime) -> None:
        """Move the clock forward to `moment` (aware); time never runs backwards."""
        current = _simulated_now.get()
        if current is None:
            raise RuntimeError("the simulated clock is used outside its `simulated(...)` block")
        _check_aware(moment)
        if moment < current:
            raise ValueError(f"the simulated clock cannot go back from {current.isoformat()} to {moment.isoformat()}")
        _simulated_now.set(moment.astimezone(UTC))


def _check_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the simulated clock needs an aware datetime")


@contextmanager
def simulated(start: datetime) -> Iterator[SimulatedClock]:
    """Stop the clock at `start` (aware) until the block ends; move it with the clock it yields."""
    _check_aware(start)
    token = _simulated_now.set(start.astimezone(UTC))
    try:
        yield SimulatedClock()
    finally:
        _simulated_now.reset(token)
