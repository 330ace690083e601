"""Checks for uploaded documents: allowed types by content (not by name) and size."""

import hashlib
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.utils.translation import gettext as _

ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
}


class UploadError(ValueError):
    """An upload that is refused; the message is shown to the user (French)."""


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    size: int
    sha256: str


def check_upload(upload) -> CheckedUpload:
    """Validate a Django UploadedFile: size limit and real type read from its first bytes."""
    max_bytes = settings.UPLOAD_MAX_BYTES
    if upload.size == 0:
        raise UploadError(_("Le fichier « %(name)s » est vide.") % {"name": upload.name})
    if upload.size > max_bytes:
        raise UploadError(
            _("Le fichier « %(name)s » dépasse la taille maximale de %(size)s Mo.")
            % {"name": upload.name, "size": max_bytes // (1024 * 1024)}
        )
    upload.seek(0)
    head = upload.read(262)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise UploadError(
            _("Le fichier « %(name)s » n'est pas accepté : seuls les PDF, JPEG et PNG le sont.")
            % {"name": upload.name}
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = upload.name.replace("/", "_").replace("\\", "_")[:200]
    return CheckedUpload(name=name, content_type=kind.mime, size=upload.size,
                         sha256=digest.hexdigest())
