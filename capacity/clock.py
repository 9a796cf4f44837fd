"""The one place that reads the clock, so that freezegun controls all time."""

from datetime import UTC, datetime


def now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)
