"""Files an action wrote before dying are removed by the worker; files of rows stay."""

import os
import time
from datetime import timedelta

from django.conf import settings

from conftest import pdf_upload
from parcours.core.files import media_orphans_sweep


def _age(path, hours):
    old = time.time() - hours * 3600
    os.utime(path, (old, old))


def test_an_old_file_no_row_names_is_removed_and_the_others_stay(territory, make_referral):
    referral = make_referral(files=[pdf_upload()])
    kept = settings.MEDIA_ROOT / referral.attachments.get().file.name
    orphan = settings.MEDIA_ROOT / "referrals" / "2026" / "orphan.pdf"
    recent = settings.MEDIA_ROOT / "referrals" / "2026" / "being-written.pdf"
    for path in (orphan, recent):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.4")
    _age(orphan, 7)
    _age(kept, 7)
    assert media_orphans_sweep(older_than=timedelta(hours=6), force=True) == {"deleted": 1}
    assert not orphan.exists() and kept.exists() and recent.exists()
