"""A sparse log-linear latency histogram (HDR-style) with bounded relative error that merges exactly.

Values are integer microseconds. Values below 2**bits get a bucket each;
above that, every power of two is split into 2**(bits-1) equal buckets, so a
bucket is never wider than 2**(1-bits) of its lower bound: with the default 11
bits, 0.1 % (an HdrHistogram with three significant digits); the per-second
series use 7 bits (1.6 %), which keeps a long run's series small. Only buckets that were hit are
stored, so memory follows the spread of the data, never the number of samples,
and merging two histograms is adding counts bucket by bucket: exact.

The hot path appends raw values to an `array('q')`; `record_batch` folds a
batch with one C-level `Counter` pass, then one bucket computation per
distinct value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

SUB_BITS = 11
SERIES_BITS = 7


def bucket_index(value: int, bits: int = SUB_BITS) -> int:
    """The bucket a non-negative integer value falls in (monotonic in value)."""
    if value < 1 << bits:
        return max(value, 0)
    shift = value.bit_length() - bits
    return (shift << bits) + (value >> shift)


def bucket_bounds(index: int, bits: int = SUB_BITS) -> tuple[int, int]:
    """The [low, high] values (inclusive) that share bucket `index`."""
    if index < 1 << bits:
        return index, index
    shift = index >> bits
    mantissa = index - (shift << bits)
    low = mantissa << shift
    return low, low + (1 << shift) - 1


def bucket_value(index: int, bits: int = SUB_BITS) -> float:
    """The value reported for a bucket: its midpoint (error at most half a bucket)."""
    low, high = bucket_bounds(index, bits)
    return (low + high) / 2


class Histogram:
    """Counts per bucket, plus the exact minimum, maximum and sum of the recorded values."""

    __slots__ = ("bits", "counts", "max", "min", "total", "total_sum")

    def __init__(self, bits: int = SUB_BITS) -> None:
        self.bits = bits
        self.counts: dict[int, int] = {}
        self.total = 0
        self.total_sum = 0
        self.min = 0
        self.max = 0

    def record(self, value: int, count: int = 1) -> None:
        """Record one value `count` times."""
        index = bucket_index(value, self.bits)
        self.counts[index] = self.counts.get(index, 0) + count
        if self.total == 0 or value < self.min:
            self.min = value
        self.max = max(self.max, value)
        self.total += count
        self.total_sum += value * count

    def record_batch(self, values: Iterable[int]) -> None:
        """Record many values at once (the engine's per-tick fold)."""
        self.record_counts(Counter(values))

    def record_counts(self, counts: Mapping[int, int]) -> None:
        """Record {value: times} (a `Counter` of a batch)."""
        for value, count in counts.items():
            self.record(value, count)

    def merge(self, other: Histogram) -> None:
        """Add another histogram's counts to this one (exact)."""
        if other.total == 0:
            return
        if other.bits != self.bits:
            raise ValueError(f"cannot merge a {other.bits}-bit histogram into a {self.bits}-bit one")
        for index, count in other.counts.items():
            self.counts[index] = self.counts.get(index, 0) + count
        if self.total == 0 or other.min < self.min:
            self.min = other.min
        self.max = max(self.max, other.max)
        self.total += other.total
        self.total_sum += other.total_sum

    def copy(self) -> Histogram:
        clone = Histogram(self.bits)
        clone.merge(self)
        return clone

    def mean(self) -> float:
        return self.total_sum / self.total if self.total else 0.0

    def value_at_rank(self, rank: int) -> float:
        """The value of the `rank`-th smallest sample (1-based), to bucket precision; exact at the ends."""
        if self.total == 0:
            return 0.0
        rank = min(max(rank, 1), self.total)
        if rank == self.total:
            return float(self.max)
        if rank == 1:
            return float(self.min)
        seen = 0
        for index in sorted(self.counts):
            seen += self.counts[index]
            if seen >= rank:
                return min(max(bucket_value(index, self.bits), self.min), self.max)
        return float(self.max)

    def percentile(self, percent: float) -> float:
        """The value below or at which `percent` % of the samples fall (nearest-rank)."""
        if self.total == 0:
            return 0.0
        rank = max(1, -(-round(percent * self.total * 1000) // 100_000))
        return self.value_at_rank(rank)

    def variance(self) -> float:
        """Variance estimated from bucket midpoints (for confidence intervals of the mean)."""
        if self.total < 2:
            return 0.0
        mean = self.mean()
        squares = sum(
            count * (bucket_value(index, self.bits) - mean) ** 2 for index, count in self.counts.items()
        )
        return squares / (self.total - 1)

    def to_json(self) -> dict:
        """Encoded form: `bits` (precision) and `counts`, a flat list [index, count, ...] sorted by index."""
        flat: list[int] = []
        for index in sorted(self.counts):
            flat += (index, self.counts[index])
        return {
            "bits": self.bits,
            "total": self.total,
            "sum": self.total_sum,
            "min": self.min,
            "max": self.max,
            "counts": flat,
        }

    @classmethod
    def from_json(cls, data: Mapping) -> Histogram:
        histogram = cls(int(data.get("bits", SUB_BITS)))
        flat = list(data.get("counts", []))
        histogram.counts = {int(flat[i]): int(flat[i + 1]) for i in range(0, len(flat) - 1, 2)}
        histogram.total = int(data.get("total", sum(histogram.counts.values())))
        histogram.total_sum = int(data.get("sum", 0))
        histogram.min = int(data.get("min", 0))
        histogram.max = int(data.get("max", 0))
        return histogram

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Histogram) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]
