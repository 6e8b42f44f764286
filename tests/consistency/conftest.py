"""Fixtures of the consistency tests: the llama.cpp server and Celery worker of the
generation end-to-end tests (module-scoped there, so started once per module), the
scripted OpenAI-compatible server and eager Celery."""

from tests.generations.conftest import eager_celery, stub_server  # noqa: F401
from tests.generations.test_llama_end_to_end import (  # noqa: F401 (fixtures)
    llama_server,
    module_worker,
    worker,
)
