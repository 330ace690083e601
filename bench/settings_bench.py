"""Benchmark-only settings: the product's settings, the benchmark URLconf (bench/bench_urls.py)
and the switch that turns the audit off for the unaudited side of bench/audit_reads.py.

Used by the servers the bench/ scripts start (DJANGO_SETTINGS_MODULE=settings_bench with bench/
on PYTHONPATH, see bench/_common.py). Refuses to load in production: nothing here may ever serve
patient data."""

import os

from parcours.settings import *  # noqa: F403
from parcours.settings import PRODUCTION

if PRODUCTION:
    raise RuntimeError(
        "bench/settings_bench.py is for benchmarks only, never with PARCOURS_ENV=production"
    )

ROOT_URLCONF = "bench_urls"
# PARCOURS_BENCH_AUDIT_OFF=1: no audit row is written (the unaudited side of audit_reads.py).
AUDIT_BENCH_OFF = os.environ.get("PARCOURS_BENCH_AUDIT_OFF", "") in ("1", "true", "yes", "on")
