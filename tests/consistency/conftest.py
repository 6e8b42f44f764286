"""Fixtures of the consistency tests: the llama.cpp server and Celery worker of the
generation end-to-end tests (module-scoped there, so started once per module)."""

from tests.generations.test_llama_end_to_end import (  # noqa: F401 (fixtures)
    llama_server,
    module_worker,
    worker,
)
