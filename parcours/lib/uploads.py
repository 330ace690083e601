"""Checks for uploaded documents: allowed types by content (not by name) and size."""

import hashlib
import unicodedata
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.utils.translation import gettext as _

from parcours.lib.errors import ServiceError

ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
}
# Office documents shared in the collaborative spaces (issue 19), never in patient flows:
# OpenDocument and Office Open XML, recognised by filetype from their zip content.
OFFICE_TYPES = {
    "application/vnd.oasis.opendocument.text": "ODT",
    "application/vnd.oasis.opendocument.spreadsheet": "ODS",
    "application/vnd.oasis.opendocument.presentation": "ODP",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PPTX",
}
# The extensions a file of each type keeps; the first is given to a file named otherwise.
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "application/vnd.oasis.opendocument.presentation": (".odp",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
}
MAX_NAME = 200


def safe_file_name(name: str, content_type: str = "") -> str:
    """A file name fit for storage, a Content-Disposition header (RFC 6266) and an e-mail
    attachment header (RFC 2231): no control or format characters (a line break in a header
    breaks or injects it), no path separators, at most MAX_NAME characters, and — when
    ``content_type`` is one we accept — an extension of that type (a PDF uploaded as
    « cr.exe » is served as « cr.pdf »). « document » when nothing is left. Raises nothing."""
    cleaned = "".join(
        " " if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"} else c for c in name or ""
    )
    cleaned = " ".join(cleaned.replace("/", "_").replace("\\", "_").split()).strip(". ")
    allowed = EXTENSIONS.get(content_type, ())
    extension = ""
    if allowed:
        stem, dot, current = cleaned.rpartition(".")
        if dot and stem and f".{current.lower()}" in allowed:
            cleaned, extension = stem, f".{current}"
        else:
            if dot and stem and current.isalnum() and not current.isdigit() and len(current) <= 5:
                cleaned = stem  # a wrong extension is replaced, not kept before ours
            extension = allowed[0]
    cleaned = (cleaned or "document")[: MAX_NAME - len(extension)]
    return cleaned + extension


class UploadError(ServiceError):
    """An upload that is refused; the message is shown to the user (French). A ServiceError
    (code "upload"); no field, the caller knows which input the files came from."""

    def __init__(self, message, *, field: str | None = None, code: str = "upload") -> None:
        super().__init__(message, field=field, code=code)


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    size: int
    sha256: str


def check_upload(upload, *, allowed: dict[str, str] | None = None) -> CheckedUpload:
    """Validate a Django UploadedFile: size limit and real type read from its first bytes.

    ``allowed`` maps the accepted MIME types to their short names (PDF, JPEG, PNG by default,
    ``ALLOWED_TYPES``; the spaces add ``OFFICE_TYPES``). Returns a ``CheckedUpload``; raises
    ``UploadError`` (French message) for an empty, too large or refused file."""
    allowed = allowed or ALLOWED_TYPES
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
    if kind is None or kind.mime not in allowed:
        if allowed == ALLOWED_TYPES:
            message = _(
                "Le fichier « %(name)s » n'est pas accepté : seuls les PDF, JPEG et PNG le sont."
            ) % {"name": upload.name}
        else:
            message = _(
                "Le fichier « %(name)s » n'est pas accepté : formats acceptés %(types)s."
            ) % {"name": upload.name, "types": ", ".join(sorted(set(allowed.values())))}
        raise UploadError(message)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(
        name=safe_file_name(upload.name, kind.mime),
        content_type=kind.mime,
        size=upload.size,
        sha256=digest.hexdigest(),
    )
