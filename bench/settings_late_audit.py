"""Benchmark-only settings: the pooled settings plus the late-audit experiment
(bench/late_audit). Used by ``bench/submit.py --late-audit``."""

from settings_pool import *  # noqa: F403
from settings_pool import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "late_audit"]
