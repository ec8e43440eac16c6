#!/usr/bin/env bash
# Create .venv with the locked dependencies (uv; installed with pip if missing). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet uv || python3 -m pip install --quiet --user uv
  export PATH="$HOME/.local/bin:$PATH"
fi
uv sync --frozen --python 3.11 --quiet
