"""Settings for the benchmark variant "with a connection pool" (``--pool``): the app's settings
plus Django 5.1+'s psycopg pool, so a request borrows an open PostgreSQL connection instead of
opening one (under ASGI Django advises the pool rather than CONN_MAX_AGE). Needs psycopg-pool,
which is not in the project's lock: ``.venv/bin/pip install psycopg-pool``.
"""

import os

from parcours.settings import *  # noqa: F403
from parcours.settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
    "min_size": 2, "max_size": int(os.environ.get("BENCH_POOL_SIZE", "16")), "timeout": 30}
