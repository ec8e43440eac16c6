.PHONY: run test lint bench

# Set up (venv, deps), migrate, seed demo data if empty, then serve web + Celery worker + beat.
run:
	@scripts/bootstrap.sh
	@.venv/bin/python scripts/dev.py

# The whole test suite against real PostgreSQL + Redis (DATABASE_URL/REDIS_URL, else embedded).
test:
	@scripts/bootstrap.sh
	@.venv/bin/python -m pytest

lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .
