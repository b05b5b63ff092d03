"""The log-linear histogram: bounded relative error, exact merge, faithful JSON form."""

from __future__ import annotations

import random

import pytest

from senior_backend.loadtest.histogram import (
    SERIES_BITS,
    Histogram,
    bucket_bounds,
    bucket_index,
    bucket_value,
)

pytestmark = pytest.mark.quick


def test_buckets_are_monotonic_and_contiguous():
    previous = -1
    for value in [*range(5000), *(random.Random(1).randrange(1, 10**10) for _ in range(2000))]:
        index = bucket_index(value)
        low, high = bucket_bounds(index)
        assert low <= value <= high
    for value in range(0, 300_000, 7):
        index = bucket_index(value)
        assert index >= previous
        previous = index


def test_relative_error_is_bounded():
    for value in random.Random(2).sample(range(1, 10**9), 5000):
        assert abs(bucket_value(bucket_index(value)) - value) / value <= 1 / 2048 + 1e-12


def test_percentiles_match_sorted_values_within_the_bound():
    rng = random.Random(3)
    values = [int(rng.lognormvariate(9, 1.2)) for _ in range(20_000)]
    histogram = Histogram()
    histogram.record_batch(values)
    ordered = sorted(values)
    for p in (50, 90, 99, 99.9):
        exact = ordered[max(1, -(-int(p * len(values)) // 100)) - 1]
        assert abs(histogram.percentile(p) - exact) <= exact / 1024 + 1
    assert histogram.percentile(100) == max(values) and histogram.min == min(values)
    assert histogram.total == len(values) and histogram.total_sum == sum(values)


def test_merge_is_exactly_the_sum_of_the_parts():
    rng = random.Random(4)
    a, b, both = Histogram(), Histogram(), Histogram()
    left = [rng.randrange(1, 10**6) for _ in range(3000)]
    right = [rng.randrange(1, 10**7) for _ in range(2000)]
    a.record_batch(left)
    b.record_batch(right)
    both.record_batch(left + right)
    merged = a.copy()
    merged.merge(b)
    assert merged == both
    assert merged != a


def test_coarse_histograms_bound_their_error_and_refuse_to_mix():
    coarse = Histogram(SERIES_BITS)
    coarse.record_batch(range(1, 200_000, 13))
    assert len(coarse.counts) < 1000
    for value in (1000, 54_321, 199_000):
        assert abs(bucket_value(bucket_index(value, SERIES_BITS), SERIES_BITS) - value) / value <= 1 / 64
    with pytest.raises(ValueError):
        Histogram().merge(coarse)
    assert Histogram.from_json(coarse.to_json()) == coarse


def test_json_round_trip():
    histogram = Histogram()
    histogram.record_batch([5, 5, 70_000, 123_456_789])
    again = Histogram.from_json(histogram.to_json())
    assert again == histogram and again.percentile(50) == 5
