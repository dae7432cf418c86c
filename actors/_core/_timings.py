"""Histogram buckets kept as plain integers on an actor's record (read at scrape time)."""

from __future__ import annotations

from bisect import bisect_left

__all__ = ["BUCKETS", "TIMING_SAMPLE", "Timings", "timing_mask"]

# By default one in TIMING_SAMPLE accepted messages is timed (``ActorSystem(timing_sample=N)``
# chooses; a power of two: the check is a bit mask). Sampling keeps the two clock reads and
# two bucket updates off most messages; the histograms' distributions (and quantiles) are
# those of the sample, their counts are the sample's size, which is why their names say
# "sampled". Exact per-message counts are the counters, not the histograms.
TIMING_SAMPLE = 16


def timing_mask(timing_sample: object) -> int:
    """The bit mask for timing 1 in ``timing_sample`` accepted messages.

    Raises:
        TypeError: ``timing_sample`` is not an ``int``.
        ValueError: it is not a power of two >= 1 (1, 2, 4, ..., 16, ...).
    """
    if isinstance(timing_sample, bool) or not isinstance(timing_sample, int):
        raise TypeError(f"timing_sample must be an int, got {timing_sample!r}")
    if timing_sample < 1 or timing_sample & (timing_sample - 1):
        raise ValueError(
            f"timing_sample must be a power of two >= 1 (1 times every message),"
            f" got {timing_sample}"
        )
    return timing_sample - 1


# Upper bounds in seconds, from 10 microseconds (a quick handler) to 10 seconds.
BUCKETS: tuple[float, ...] = (
    0.00001,
    0.00005,
    0.0001,
    0.0005,
    0.001,
    0.005,
    0.01,
    0.05,
    0.1,
    0.5,
    1.0,
    5.0,
    10.0,
)


class Timings:
    """Sampled time-in-mailbox and handling-time histograms of one actor (or one class)."""

    __slots__ = ("handling", "handling_sum", "wait", "wait_sum")

    def __init__(self) -> None:
        # Invariant: len(...) == len(BUCKETS) + 1; the last slot counts values above the top.
        self.wait = [0] * (len(BUCKETS) + 1)
        self.handling = [0] * (len(BUCKETS) + 1)
        self.wait_sum = 0.0
        self.handling_sum = 0.0

    def observe(self, wait: float, handling: float) -> None:
        self.wait[bisect_left(BUCKETS, wait)] += 1
        self.wait_sum += wait
        self.handling[bisect_left(BUCKETS, handling)] += 1
        self.handling_sum += handling

    def merge(self, other: Timings) -> None:
        for index, count in enumerate(other.wait):
            self.wait[index] += count
        for index, count in enumerate(other.handling):
            self.handling[index] += count
        self.wait_sum += other.wait_sum
        self.handling_sum += other.handling_sum
