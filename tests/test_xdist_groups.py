"""The suite's modules with module-scoped servers, workers or data are kept in one test
process by ``xdist_group`` marks under ``--dist loadgroup`` (.ci/run). pytest 9 with
pytest-xdist 3.8 silently drops the marks (pytest-dev/pytest-xdist#1386): every such
module then starts its servers once per process. This fails when that happens."""

import pytest

pytestmark = pytest.mark.xdist_group("xdist-check")


def test_a_grouped_test_carries_its_group_under_loadgroup(request):
    if not request.config.getoption("loadgroup", default=False):
        pytest.skip("only under pytest-xdist's --dist loadgroup (as .ci/run runs)")
    assert request.node.nodeid.endswith("@xdist-check")
