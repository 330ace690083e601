"""The incoming side of the gateway to external secure messaging (an SMTP bridge).

An MSSanté operator (or any relay) delivers to ``<username>@MSS_DOMAIN`` on the bridge's port.
The bridge refuses unknown recipients at RCPT (the sender's server keeps the mail and reports
it), and answers 250 to DATA only once the message is committed; on any error it answers 451,
so the sending server keeps the mail and retries: nothing is lost. The same Message-ID twice
(a retry after a lost 250) stores nothing new.
"""

from __future__ import annotations

import logging
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

import filetype
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, close_old_connections
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from parcours.lib.uploads import ALLOWED_TYPES, safe_file_name

from .models import Message
from .services import FileIn, message_send

logger = logging.getLogger(__name__)


def user_for_address(address: str):
    """The active user a bridge address belongs to, or None."""
    local, _at, domain = (address or "").strip().strip("<>").rpartition("@")
    if not local or domain.lower() != settings.MSS_DOMAIN.lower():
        return None
    return get_user_model().objects.filter(username__iexact=local, is_active=True).first()


def mail_receive(raw: bytes, rcpt_tos: list[str], mail_from: str = "") -> Message | None:
    """Store one incoming e-mail in the recipients' inboxes. Returns None when it is a
    duplicate (already stored) or has no known recipient."""
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    message_id = (parsed.get("Message-ID") or "").strip()[:250] or None
    if message_id and Message.objects.filter(external_id=message_id).exists():
        return None
    users = [u for u in (user_for_address(a) for a in rcpt_tos) if u is not None]
    if not users:
        return None
    name, address = parseaddr(str(parsed.get("From") or mail_from))
    label = f"{name} <{address}>" if name else (address or mail_from)
    body_part = parsed.get_body(preferencelist=("plain", "html"))
    body = body_part.get_content() if body_part is not None else ""
    if body_part is not None and body_part.get_content_type() == "text/html":
        body = strip_tags(body)
    files, refused = [], []
    for part in parsed.iter_attachments():
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        name_ = part.get_filename() or "piece-jointe"
        kind = filetype.guess(data[:262])
        if (
            not data
            or len(data) > settings.UPLOAD_MAX_BYTES
            or kind is None
            or kind.mime not in ALLOWED_TYPES
        ):
            refused.append(name_)
            continue
        files.append(
            FileIn(name=safe_file_name(name_, kind.mime), content_type=kind.mime, data=data)
        )
    if refused:
        body += "\n\n" + _(
            "[Parcours] Pièce(s) jointe(s) non acceptée(s) (seuls PDF, JPEG et "
            "PNG le sont) : %(names)s"
        ) % {"names": ", ".join(refused)}
    cc_addresses = {a.lower() for _n, a in getaddresses(parsed.get_all("Cc", []))}
    to = [u for u in users if f"{u.username}@{settings.MSS_DOMAIN}".lower() not in cc_addresses]
    cc = [u for u in users if u not in to]
    try:
        return message_send(
            sender=None,
            sender_label=label[:200],
            subject=str(parsed.get("Subject") or _("(sans objet)"))[:200],
            body=body or " ",
            to=to or cc,
            cc=cc if to else [],
            files=files,
            external_id=message_id,
        )
    except IntegrityError:  # the same Message-ID committed at the same instant by a retry
        if message_id and Message.objects.filter(external_id=message_id).exists():
            return None
        raise


class BridgeHandler:
    """aiosmtpd handler: RCPT checks the address, DATA stores before answering 250."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        user = await sync_to_async(_lookup, thread_sensitive=False)(address)
        if user is None:
            return "550 5.1.1 Destinataire inconnu"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        try:
            await sync_to_async(_store, thread_sensitive=False)(
                envelope.original_content or envelope.content,
                list(envelope.rcpt_tos),
                envelope.mail_from or "",
            )
        except Exception:
            logger.exception("incoming mail not stored; the sender will retry")
            return "451 4.3.0 Erreur temporaire, réessayez plus tard"
        return "250 Message accepted for delivery"


def _lookup(address):
    try:
        return user_for_address(address)
    finally:
        close_old_connections()


def _store(raw, rcpt_tos, mail_from):
    try:
        mail_receive(raw, rcpt_tos, mail_from)
    finally:
        close_old_connections()


def bridge_controller(host: str, port: int):
    from aiosmtpd.controller import Controller  # noqa: PLC0415 — only the SMTP bridge needs it

    return Controller(
        BridgeHandler(), hostname=host, port=port, data_size_limit=settings.UPLOAD_MAX_BYTES * 4
    )
