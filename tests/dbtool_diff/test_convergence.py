"""The corpus: for every case, up reaches desired, a second diff is empty, and down brings back current."""

from __future__ import annotations

import pytest

from tests.dbtool_diff.convergence import CASES, requirements

pytestmark = [pytest.mark.pg, pytest.mark.slow]

CASE_NAMES = sorted(path.name for path in CASES.iterdir() if path.is_dir())


def test_corpus_is_large_enough():
    assert len(CASE_NAMES) >= 60


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_converges(corpus_results, server_lacks, name):
    for needed in sorted(requirements(CASES / name) & server_lacks.keys()):
        pytest.skip(server_lacks[needed])
    result = corpus_results[name]
    if isinstance(result, Exception):
        raise result
    assert result.after_up == [], f"after up, the database differs from desired: {result.after_up}"
    assert result.second_diff == [], f"a second diff is not empty: {result.second_diff}"
    assert result.after_down == [], f"after down, the database differs from current: {result.after_down}"
    assert result.second_down_diff == [], f"a second down diff is not empty: {result.second_down_diff}"
    if name == "no_changes":
        assert result.up.empty and result.down.empty
    else:
        assert not result.up.empty, "the case must change something"
