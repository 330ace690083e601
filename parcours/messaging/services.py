"""Writing mail: send, reply, read, file; the gateway's outbox and inbox; key rotation.

Every message is encrypted and signed here, in one transaction with its mailbox entries, its
notifications and its audit rows. Discharge letters live in ``letters.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.accounts.models import Role, User
from parcours.accounts.scopes import has_clinical_role
from parcours.audit.services import audit_log
from parcours.directory.mssante import check_external
from parcours.lib import crypto
from parcours.lib.actions import action, delete_file_on_rollback
from parcours.lib.errors import ServiceError
from parcours.lib.retry import retry_delay
from parcours.lib.uploads import safe_file_name
from parcours.notifications.services import notify
from parcours.patients.access import can_see_patient_data
from parcours.patients.models import CareLink

from .models import Attachment, Folder, MailboxEntry, Message, OutboundMail, SigningKey, Thread

MAX_RECIPIENTS = 30
SUBJECT_MAX = 200
BODY_MAX = 100_000


@dataclass
class FileIn:
    """An attachment to send: already type- and size-checked (``lib.uploads.check_upload``)."""

    name: str
    content_type: str
    data: bytes
    sha256: str = field(default="")

    def __post_init__(self):
        if not self.sha256:
            self.sha256 = hashlib.sha256(self.data).hexdigest()


# --- keys and signatures ----------------------------------------------------------------------


@action
def signing_key_for(*, user) -> SigningKey:
    """The user's active key (the platform's when ``user`` is None), created on first use."""
    key = SigningKey.objects.filter(user=user, revoked_at__isnull=True).order_by("-id").first()
    if key is None:
        private, public = crypto.new_signing_key()
        key = SigningKey.objects.create(
            user=user, public_key=public, private_enc=crypto.encrypt(private)
        )
    return key


def message_digest(
    *,
    message: Message,
    subject: str,
    body: str,
    attachments: list[str],
    to: list[int],
    cc: list[int],
) -> bytes:
    """What the signature covers: everything the recipient relies on."""
    canonical = {
        "uid": str(message.uid),
        "thread": message.thread_id,
        "kind": message.kind,
        "subject": subject,
        "body": hashlib.sha256(body.encode()).hexdigest(),
        "sender": message.sender_id,
        "sender_label": message.sender_label,
        "sent_at": message.sent_at.isoformat(),
        "attachments": sorted(attachments),
        "to": sorted(to),
        "cc": sorted(cc),
        "external_to": sorted(message.external_to),
        "patient": message.thread.patient_id,
        "lab_report": message.lab_report_id,
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).digest()


@dataclass
class OpenedMessage:
    """A message as a reader sees it: decrypted, and whether its signature holds."""

    message: Message
    subject: str
    body: str
    state: str  # valid | tampered | unreadable

    @property
    def valid(self) -> bool:
        return self.state == "valid"


def message_open(message: Message, *, subject: str | None = None) -> OpenedMessage:
    """Decrypt and verify. An altered ciphertext, body, attachment or recipient list shows as
    tampered; a ciphertext no key opens as unreadable."""
    try:
        if subject is None:
            subject = crypto.decrypt(message.thread.subject_enc).decode()
        body = crypto.decrypt(message.body_enc).decode()
    except (crypto.InvalidToken, UnicodeDecodeError):
        return OpenedMessage(message, subject or "", "", "unreadable")
    entries = [(e.user_id, e.role) for e in message.entries.all()]
    digest = message_digest(
        message=message,
        subject=subject,
        body=body,
        attachments=[a.sha256 for a in message.attachments.all()],
        to=[u for u, r in entries if r == MailboxEntry.Role.TO],
        cc=[u for u, r in entries if r == MailboxEntry.Role.CC],
    )
    key = message.signing_key
    ok = crypto.verify(bytes(key.public_key), digest, message.signature)
    if ok and message.sender_id and key.user_id != message.sender_id:
        ok = False  # signed, but not by the sender's key
    return OpenedMessage(message, subject, body, "valid" if ok else "tampered")


def attachment_read(attachment: Attachment) -> bytes | None:
    """The clear bytes, or None when they no longer match the signed hash (altered)."""
    with attachment.file.open("rb") as fh:
        token = fh.read()
    try:
        data = crypto.decrypt(token)
    except crypto.InvalidToken:
        return None
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        return None
    return data


# --- sending -----------------------------------------------------------------------------------


def _clean_recipients(sender, to, cc, external) -> tuple[list, list, list[str]]:
    """De-duplicated recipients. Raises ServiceError (French) for a malformed address or
    one outside the secure-messaging domains (``addresses.check_external``), the sender
    among the recipients, none at all, too many, or an inactive account."""
    to = [u for u in dict.fromkeys(to) if u is not None]
    cc = [u for u in dict.fromkeys(cc) if u is not None and u not in to]
    external = list(dict.fromkeys(check_external(a) for a in external if a and a.strip()))
    if sender is not None and any(u.pk == sender.pk for u in [*to, *cc]):
        raise ServiceError(_("Vous ne pouvez pas être destinataire de votre propre message."))
    if not to and not external:
        raise ServiceError(_("Indiquez au moins un destinataire."))
    if len(to) + len(cc) + len(external) > MAX_RECIPIENTS:
        raise ServiceError(_("%(n)s destinataires au plus.") % {"n": MAX_RECIPIENTS})
    for u in [*to, *cc]:
        if not u.is_active:
            raise ServiceError(_("%(u)s n'a plus de compte actif.") % {"u": u})
    return to, cc, external


@action
def message_send(
    *,
    sender,
    subject: str = "",
    body: str,
    to=(),
    cc=(),
    external=(),
    files: Sequence[FileIn] = (),
    patient=None,
    reply_to: Thread | None = None,
    kind: str = Message.Kind.MAIL,
    sender_label: str = "",
    lab_report=None,
    external_id: str | None = None,
    notify_url_name: str = "messaging:thread",
    notify_title: str = "",
) -> Message:
    """Send one message (a new thread, or a reply in ``reply_to``): encrypted, signed,
    delivered to each recipient's inbox and the sender's "sent" box, in one transaction.

    ``sender`` is None for the platform (lab results, the incoming gateway; then
    ``sender_label`` says who). Recipients of a message about a patient are given access to
    that patient (a care link): the sender shares the case with them. ``notify_title``
    replaces the notification's usual title (labs: "Résultat critique reçu"); like every
    title it goes by e-mail, so it never carries a patient's name nor clinical values.
    """
    to, cc, external = _clean_recipients(sender, list(to), list(cc), list(external))
    if patient is not None and reply_to is None:
        # Health data about a patient goes to people who take part in care only: not to the
        # identitovigilance cell nor to the territory administration (least privilege).
        refused = [u for u in [*to, *cc] if not has_clinical_role(u)]
        if refused:
            raise ServiceError(
                _(
                    "%(who)s ne peut pas recevoir de message sur un patient : son rôle "
                    "(administration, identitovigilance) ne donne pas accès aux données de santé."
                )
                % {"who": ", ".join(str(getattr(u, "display_name", u)) for u in refused)}
            )
    body = (body or "").strip()
    if reply_to is None:
        subject = (subject or "").strip()
        if not subject:
            raise ServiceError(_("Indiquez un objet."))
    if len(subject) > SUBJECT_MAX:
        raise ServiceError(_("L'objet dépasse %(n)s caractères.") % {"n": SUBJECT_MAX})
    if not body and not files:
        raise ServiceError(_("Le message est vide."))
    if len(body) > BODY_MAX:
        raise ServiceError(_("Le message est trop long."))
    now = timezone.now()
    if reply_to is None:
        thread = Thread.objects.create(
            subject_enc=crypto.encrypt(subject),
            patient=patient,
            created_at=now,
            last_message_at=now,
        )
    else:
        thread = Thread.objects.select_for_update().get(pk=reply_to.pk)
        subject = crypto.decrypt(thread.subject_enc).decode()
        thread.last_message_at = now
        thread.save(update_fields=["last_message_at"])
        patient = thread.patient
    key = signing_key_for(user=sender)
    message = Message(
        thread=thread,
        kind=kind,
        sender=sender,
        sender_label=sender_label[:200],
        sent_at=now,
        body_enc=crypto.encrypt(body),
        external_to=external,
        signing_key=key,
        signature="",
        lab_report=lab_report,
        external_id=external_id,
    )
    message.thread = thread
    words = [subject, body, sender_label, getattr(sender, "display_name", "")]
    if patient is not None:
        words += [patient.birth_name, patient.used_name, patient.birth_given_names]
    message.search_tokens = " " + " ".join(crypto.search_tokens(*words)) + " "
    message.save()
    hashes = []
    for f in files:
        att = Attachment(
            message=message,
            name=safe_file_name(f.name, f.content_type),
            content_type=f.content_type,
            size=len(f.data),
            sha256=f.sha256,
        )
        att.file.save("x.bin", ContentFile(crypto.encrypt(f.data).encode()), save=False)
        # A rolled-back message leaves no attachment on disk.
        delete_file_on_rollback(att.file.storage, att.file.name)
        att.save()
        hashes.append(f.sha256)
    entries = []
    if sender is not None:
        entries.append(
            MailboxEntry(
                message=message,
                thread=thread,
                user=sender,
                role=MailboxEntry.Role.FROM,
                box=MailboxEntry.Box.SENT,
                read_at=now,
                sent_at=now,
            )
        )
    for role, users in ((MailboxEntry.Role.TO, to), (MailboxEntry.Role.CC, cc)):
        for u in users:
            if sender is not None and u.pk == sender.pk:
                continue
            entries.append(
                MailboxEntry(
                    message=message,
                    thread=thread,
                    user=u,
                    role=role,
                    box=MailboxEntry.Box.INBOX,
                    sent_at=now,
                )
            )
    MailboxEntry.objects.bulk_create(entries)
    digest = message_digest(
        message=message,
        subject=subject,
        body=body,
        attachments=hashes,
        to=[e.user_id for e in entries if e.role == "to"],
        cc=[e.user_id for e in entries if e.role == "cc"],
    )
    message.signature = crypto.sign(crypto.decrypt(key.private_enc), digest)
    message.save(update_fields=["signature"])
    for address in external:
        OutboundMail.objects.create(message=message, to_address=address, next_attempt_at=now)
    readers = [*to, *cc]
    # A message about a patient opens the patient's data to its recipients only when
    # its sender may see that data (or it comes from the platform: lab results,
    # letters): otherwise a professional who only found the identity by its traits
    # could open it to anyone, and through the reply to himself (issue 12 review).
    if patient is not None and (sender is None or can_see_patient_data(sender, patient)):
        for u in readers:
            if has_clinical_role(u):  # never opens data to a non-clinical role
                CareLink.objects.get_or_create(patient=patient, user=u)
    audit_log(
        user=sender,
        action="create",
        obj=message,
        patient_id=patient.pk if patient else None,
        detail=f"message ({len(readers)} destinataire(s), {len(external)} externe(s)"
        f", {len(hashes)} pièce(s) jointe(s))",
    )
    who = getattr(sender, "display_name", "") or sender_label or _("Parcours")
    titles: dict[str, str] = {
        Message.Kind.LETTER: _("Lettre de liaison reçue de %(who)s"),
        Message.Kind.LAB: _("Résultats de biologie reçus (%(who)s)"),
    }
    title = titles.get(kind, _("Nouveau message sécurisé de %(who)s")) % {"who": who}
    title = notify_title or title
    notify(
        users=readers,
        kind="message",
        title=title,
        url=reverse(notify_url_name, args=[thread.pk]),
        exclude=sender,
    )
    return message


def _entries(user, thread: Thread):
    return MailboxEntry.objects.filter(user=user, thread=thread)


@action
def thread_mark_read(*, user, thread: Thread) -> int:
    """The read receipt: the first time the reader opens the thread."""
    return _entries(user, thread).filter(read_at__isnull=True).update(read_at=timezone.now())


@action
def thread_mark_unread(*, user, thread: Thread) -> int:
    return _entries(user, thread).exclude(role=MailboxEntry.Role.FROM).update(read_at=None)


@action
def thread_move(*, user, thread: Thread, box: str, folder: Folder | None = None) -> int:
    """File the user's copies of a thread: archive, trash, back to inbox, or a folder."""
    if box not in MailboxEntry.Box.values:
        raise ServiceError(_("Dossier inconnu."))
    if folder is not None and folder.owner_id != user.pk:
        raise ServiceError(_("Dossier inconnu."))
    qs = _entries(user, thread)
    if box == MailboxEntry.Box.INBOX:
        # Back from the archive or the trash: received copies to the inbox, sent to "sent".
        n = qs.exclude(role=MailboxEntry.Role.FROM).update(box=box, folder=folder)
        n += qs.filter(role=MailboxEntry.Role.FROM).update(box=MailboxEntry.Box.SENT, folder=None)
        return n
    return qs.update(box=box, folder=None)


@action
def folder_create(*, owner, name: str) -> Folder:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_("Donnez un nom au dossier."))
    if len(name) > 60:
        raise ServiceError(_("Le nom du dossier dépasse 60 caractères."))
    if Folder.objects.filter(owner=owner, name__iexact=name).exists():
        raise ServiceError(_("Vous avez déjà un dossier « %(n)s ».") % {"n": name})
    return Folder.objects.create(owner=owner, name=name)


@action
def folder_delete(*, owner, folder: Folder) -> None:
    """Its threads go back to the inbox; nothing is deleted."""
    MailboxEntry.objects.filter(user=owner, folder=folder).update(folder=None)
    folder.delete()


# --- key rotation ------------------------------------------------------------------------------


@action
def _rotate_chunk(*, model, fields: list[str], after: int, batch: int) -> tuple[int, int]:
    """Re-encrypt ``fields`` of up to ``batch`` rows of ``model`` whose pk is above ``after``,
    locked; returns (rows rewritten, last pk seen)."""
    chunk = list(model.objects.select_for_update().filter(pk__gt=after).order_by("pk")[:batch])
    if not chunk:
        return 0, after
    for obj in chunk:
        for name in fields:
            setattr(obj, name, crypto.rotate(getattr(obj, name)))
    model.objects.bulk_update(chunk, fields)
    return len(chunk), chunk[-1].pk


def keys_rotate(*, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every stored secret with the first key of MESSAGING_KEYS.

    Each batch is its own transaction, so the command can be stopped and run again; a value
    already under the first key is rewritten harmlessly.
    """
    counts = {"threads": 0, "messages": 0, "attachments": 0, "keys": 0}

    def rows(model, fields) -> int:
        last, total = 0, 0
        while True:
            n, last = _rotate_chunk(model=model, fields=fields, after=last, batch=batch)
            if not n:
                return total
            total += n

    counts["threads"] = rows(Thread, ["subject_enc"])
    counts["messages"] = rows(Message, ["body_enc"])
    counts["keys"] = rows(SigningKey, ["private_enc"])
    last = 0
    while True:
        chunk = list(Attachment.objects.filter(pk__gt=last).order_by("pk")[:batch])
        if not chunk:
            break
        for att in chunk:
            with att.file.open("rb") as fh:
                token = fh.read()
            new = crypto.rotate(token).encode()
            storage, name = att.file.storage, att.file.name
            # Write beside, then swap: a crash leaves either the old or the new file whole.
            tmp = storage.save(name + ".rot", ContentFile(new))
            storage.delete(name)
            storage.save(name, ContentFile(new))
            storage.delete(tmp)
            counts["attachments"] += 1
        last = chunk[-1].pk
    return counts


# --- the gateway: outgoing ---------------------------------------------------------------------

# Retry delays of the gateway: from 1 minute, doubling, at most 4 hours apart, with jitter
# (lib/retry.py), for settings.OUTBOX_RETRY_HOURS after the message was written.
OUTBOUND_RETRY_BASE = timedelta(minutes=1)
OUTBOUND_RETRY_CAP = timedelta(hours=4)


def build_email(message: Message, to_address: str):
    """The outgoing MIME message: the clear text and attachments (the relay is a secure
    messaging operator, TLS on the way), signed headers for traceability."""

    opened = message_open(message)
    sender_name = getattr(message.sender, "display_name", "") or message.sender_label
    local = message.sender.username if message.sender else "parcours"
    from_address = f"{sender_name} <{local}@{settings.MSS_DOMAIN}>"
    email = EmailMessage(
        subject=opened.subject,
        body=opened.body,
        from_email=from_address,
        to=[to_address],
        headers={
            "Message-ID": f"<{message.uid}@{settings.MSS_DOMAIN}>",
            "X-Parcours-Signature": message.signature,
        },
    )
    for att in message.attachments.all():
        data = attachment_read(att)
        if data is not None:
            # Names stored before names were cleaned may hold a line break (header injection).
            email.attach(safe_file_name(att.name, att.content_type), data, att.content_type)
    return email


def _outbound_give_up(row: OutboundMail) -> None:
    """The sender and the territory administrators are told (in the application)."""

    url = reverse("messaging:thread", args=[row.message.thread_id])
    title = _("Message non remis à %(a)s") % {"a": row.to_address}
    if row.message.sender_id:
        notify(users=[row.message.sender], kind="message_failed", title=title, url=url)
    admins = User.objects.filter(is_active=True, memberships__role=Role.TERRITORY_ADMIN).distinct()
    notify(
        users=admins,
        kind="gateway_failed",
        title=title,
        body=_("Dernière erreur : %(error)s") % {"error": row.last_error[:300]},
    )


@action
def _outbound_send_next(*, connection, now, give_up_before) -> str | None:
    """Send the next due row of the outbox, locked (SKIP LOCKED), and mark it; returns
    "sent", "failed" or "gave_up", or None when no row is due."""
    row = (
        OutboundMail.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(state=OutboundMail.State.PENDING, next_attempt_at__lte=now)
        .select_related("message__sender", "message__thread")
        .order_by("next_attempt_at", "id")
        .first()
    )
    if row is None:
        return None
    row.attempts += 1
    try:
        connection.send_messages([build_email(row.message, row.to_address)])
    except Exception as exc:  # down, refused, timeout: keep it and try later
        row.last_error = str(exc)[:500] or exc.__class__.__name__
        try:  # the next attempt opens a fresh connection
            connection.close()
        except Exception:  # noqa: S110 - nothing left to close
            pass
        if row.message.sent_at <= give_up_before:
            row.state = OutboundMail.State.FAILED
            _outbound_give_up(row)
            outcome = "gave_up"
        else:
            row.next_attempt_at = now + retry_delay(
                row.attempts, base=OUTBOUND_RETRY_BASE, cap=OUTBOUND_RETRY_CAP
            )
            outcome = "failed"
    else:
        row.state, row.sent_at, row.last_error = OutboundMail.State.SENT, timezone.now(), ""
        outcome = "sent"
    row.save(update_fields=["attempts", "last_error", "state", "next_attempt_at", "sent_at"])
    return outcome


def outbound_send_due(*, now=None, batch: int = 50) -> dict[str, int]:
    """Send up to ``batch`` due rows of the gateway's outbox; returns counts ``sent``,
    ``failed`` (kept, with the error, for a later attempt) and ``gave_up``.

    Each row is sent and marked in its own transaction, locked meanwhile (SKIP LOCKED), so a
    worker killed at any point loses nothing and re-sends at most the message it was sending,
    with the same Message-ID (RFC 5322 §3.6.4) — which the receiving operator, like our own
    bridge (``gateway.py``), stores once. A failure is retried with jittered, growing delays
    for ``OUTBOX_RETRY_HOURS`` after the message was written; then the row is given up and the
    sender and the territory administrators are told.
    """

    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0, "gave_up": 0}
    give_up_before = now - timedelta(hours=settings.OUTBOX_RETRY_HOURS)
    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=settings.MSS_SMTP_HOST,
        port=settings.MSS_SMTP_PORT,
        username=settings.MSS_SMTP_USER or None,
        password=settings.MSS_SMTP_PASSWORD or None,
        use_tls=settings.MSS_SMTP_TLS,
        timeout=10,
        fail_silently=False,
    )
    try:
        for _i in range(batch):
            outcome = _outbound_send_next(
                connection=connection, now=now, give_up_before=give_up_before
            )
            if outcome is None:
                break
            counts[outcome] += 1
    finally:
        try:
            connection.close()
        except Exception:  # noqa: S110 - a broken connection has nothing left to close
            pass
    return counts
