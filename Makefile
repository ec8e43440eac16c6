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

lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .
