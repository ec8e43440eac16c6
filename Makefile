.PHONY: run test test-fast lint bench

# Set up (venv, deps), migrate, seed demo data if empty, then serve web + Celery worker + beat.
run:
	@scripts/bootstrap.sh
	@.venv/bin/python scripts/dev.py

# The whole test suite against real PostgreSQL + Redis (DATABASE_URL/REDIS_URL, else embedded).
test:
	@scripts/bootstrap.sh
	@.venv/bin/python -m pytest

# The edit-test loop: everything but the browser and slow tests (see the markers in
# pyproject.toml), on a test database kept between runs (add --create-db to rebuild it).
test-fast:
	@scripts/bootstrap.sh
	@.venv/bin/python -m pytest -m "not browser and not slow" --reuse-db

# ruff (lint + format check) and mypy (strict on the pure modules, see pyproject.toml). mypy's
# Django plugin imports the settings, which require these two URLs: well-formed dummies, since
# nothing connects to them.
lint:
	@scripts/bootstrap.sh
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .
	@DATABASE_URL=postgresql://mypy@127.0.0.1:5432/mypy REDIS_URL=redis://127.0.0.1:6379/0 \
		.venv/bin/mypy
