"""Fixtures of the report tests: an empty report cache around each test, and a
small head-to-head evaluation with ratings."""

import pytest
from django.core.cache import cache

from .builders import head_to_head


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Reports are cached; each test starts and ends with an empty cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def h2h(db):
    return head_to_head()
