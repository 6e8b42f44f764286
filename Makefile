PY ?= .venv/bin/python

.PHONY: run demo test lint format check worker bench

run:
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py runserver 127.0.0.1:8000

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format:
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

check:
	$(PY) manage.py check --settings=tests.settings
	$(PY) manage.py makemigrations --check --dry-run --settings=tests.settings

worker:
	$(PY) -m celery -A evalsite worker --loglevel=info --pool=threads --concurrency=16

bench:
	$(PY) benchmarks/annotate.py
	$(PY) benchmarks/report.py
	$(PY) benchmarks/generate.py
