"""The report's fast paths give exactly what the plain computations give."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.statistics.intervals import bootstrap_counts, bootstrap_counts_many

counts = st.lists(
    st.tuples(*(st.integers(0, 3),) * 3).filter(sum), min_size=1, max_size=25
).map(lambda rows: np.array(rows, dtype=np.int64))


@given(st.lists(counts, min_size=1, max_size=4), st.integers(0, 1000))
@settings(max_examples=40, deadline=None)
def test_grouped_bootstrap_equals_one_call_per_group(groups, seed):
    together = bootstrap_counts_many(groups, resamples=200, seed=seed)
    alone = [bootstrap_counts(group, resamples=200, seed=seed) for group in groups]
    # nan (no wins and no losses) compares unequal to itself; compare the text.
    assert repr(together) == repr(alone)
    assert len(together) == len(groups)
