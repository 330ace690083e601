#!/bin/sh
# Issue 16: the API side by side with the bare Django floor, in one run, one command.
# Needs PostgreSQL on 127.0.0.1:5432 (BENCH_PG) and wrk (apt-get install wrk).
# Extra arguments go to bench/api_floor.py (e.g. --stack uvicorn,uvicorn-wsgi --rounds 3).
set -eu
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
exec .venv/bin/python bench/api_floor.py "$@"
