"""Benchmark-only settings: the benchmark settings plus a first middleware that reports the time
Django spent on the request in a ``Server-Timing: app;dur=<ms>`` header (bench/inbox.py reads
it: the server time, without the HTTP client and the loopback)."""

from settings_bench import *  # noqa: F403
from settings_bench import MIDDLEWARE

MIDDLEWARE = ["server_timing.ServerTiming", *MIDDLEWARE]
