"""Small-number suppression: a count from 1 to 4 is shown as "<5" in every report."""

SUPPRESSION_THRESHOLD = 5
SUPPRESSED = "<5"


def suppress(count: int) -> int | str:
    """Return `count`, or "<5" where it is small enough to identify someone."""
    return SUPPRESSED if 0 < count < SUPPRESSION_THRESHOLD else count
