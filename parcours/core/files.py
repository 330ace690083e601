"""Uploaded files left on disk by an action that never committed (the process killed mid-
request, a rollback in an area without its own clean-up): the worker removes them.

A file is an orphan when no ``FileField`` of any model names it and it is older than
``MEDIA_ORPHAN_HOURS`` — the age keeps the files of actions still running (written before
their row commits) out of reach.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models

logger = logging.getLogger(__name__)
SWEEP_EVERY_SECONDS = 3600
_last_sweep = 0.0


def _referenced() -> set[str]:
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                names.update(
                    model._default_manager.exclude(**{field.name: ""})
                    .values_list(field.name, flat=True)
                    .iterator()
                )
    return names


def media_orphans_sweep(
    *, older_than: timedelta | None = None, force: bool = False
) -> dict[str, int]:
    """Delete the orphan files under MEDIA_ROOT; at most once an hour per process unless
    ``force``. Returns ``{"deleted": n}``. Raises nothing for a file that vanished meanwhile."""
    global _last_sweep
    now = time.time()
    if not force and now - _last_sweep < SWEEP_EVERY_SECONDS:
        return {"deleted": 0}
    _last_sweep = now
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return {"deleted": 0}
    age = (older_than or timedelta(hours=settings.MEDIA_ORPHAN_HOURS)).total_seconds()
    candidates = [p for p in root.rglob("*") if p.is_file() and now - p.stat().st_mtime > age]
    if not candidates:
        return {"deleted": 0}
    referenced = _referenced()
    deleted = 0
    for path in candidates:
        name = path.relative_to(root).as_posix()
        if name in referenced:
            continue
        try:
            path.unlink()
            deleted += 1
            logger.info("orphan upload removed: %s", name)
        except FileNotFoundError:
            pass
    return {"deleted": deleted}
