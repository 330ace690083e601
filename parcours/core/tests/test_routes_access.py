"""Every route × every role, generated from the URL resolver (issue 15, item 7).

``GETS`` is the access policy of the web pages, one line per named route: the status each
persona gets on GET; ``URLS`` builds each route's URL from a small territory (``world``). A
route the resolver knows and these tables do not fails ``test_every_route_has_an_access_rule``:
a new page cannot ship without saying who may see it. When a rule changes on purpose, the
failure lists the statuses seen: update the line. Statuses: 200 page, 302 redirect (to the
login page for anonymous; elsewhere a page that sends on), 403 a page saying "not for your
role", 404 "nothing here for you" (the house rule for objects one may not see), 405 a POST-only
route.

POST-only routes are also probed with an empty POST by everyone (``POSTS``): outsiders get
403/404 and nothing is written (checked by the audit and the objects' state in their own apps'
tests); the expected statuses here pin who gets past the access check.

The FHIR API (token, not session) and the Django admin are tested in their own suites
(``parcours/fhir/tests``, schemathesis with and without token); they are listed in
``ELSEWHERE`` so that the resolver walk still accounts for every route.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from conftest import pdf_upload
from parcours.proximity.services import consultation_record, prescription_issue
from parcours.proximity.tests.fixtures import build_smp

PERSONAS = [
    "anonymous",
    "gp",
    "gp2",
    "desk",
    "desk_beta",
    "doctor",
    "pneumo",
    "radio",
    "admin",
    "cell",
    "nobody",
]

# Routes tested in their own suites, by prefix of the route's name or path.
ELSEWHERE = {
    "admin:": "the Django admin (staff only, Django's own permission checks)",
    "fhir:": "the FHIR API: token authentication, parcours/fhir/tests (schemathesis included)",
    "fhir": "the FHIR transaction endpoint (POST Bundle), parcours/fhir/tests",
}


def _route_names() -> dict[str, str]:
    """Every named route of the web site: {"namespace:name": path pattern}."""
    out: dict[str, str] = {}

    def walk(resolver, prefix: str, namespace: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                name = p.name or str(p.pattern)
                out[f"{namespace}:{name}" if namespace else name] = prefix + str(p.pattern)

    walk(get_resolver(), "", "")
    return out


def _elsewhere(name: str) -> bool:
    return any(name == key or (key.endswith(":") and name.startswith(key)) for key in ELSEWHERE)


@pytest.fixture
def world(territory, patient, make_referral, agenda, frozen, rota_shifts, space_world):
    """One of each object a page shows, as the persona owning it made it."""
    from parcours.directory.models import Practitioner
    from parcours.labs.models import LabReport
    from parcours.labs.services import lab_import_file
    from parcours.messaging.letters import letter_declare
    from parcours.messaging.models import Folder, Thread
    from parcours.messaging.services import FileIn, folder_create, message_send
    from parcours.notifications.models import Notification
    from parcours.patients.models import DuplicateCandidate
    from parcours.patients.services import patient_create, patient_merge
    from parcours.scheduling.services import slot_book
    from parcours.scheduling.tests.fixtures import slot_on

    territory.radio = agenda.radiologist
    referral = make_referral(files=[pdf_upload()])
    appointment = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    imaging = slot_book(
        user=territory.gp,
        slot=slot_on(agenda.echo, 12, 14),
        patient=patient,
        prescription=pdf_upload("ordonnance.pdf"),
    )
    message_send(
        sender=territory.gp,
        subject="Avis",
        body="Bonjour",
        to=[territory.doctor],
        patient=patient,
        files=[FileIn(name="bilan.pdf", content_type="application/pdf", data=pdf_upload().read())],
    )
    thread = Thread.objects.filter(patient=patient).latest("pk")
    folder: Folder = folder_create(owner=territory.gp, name="Suivi")
    letter = letter_declare(
        actor=territory.doctor,
        patient=patient,
        service=territory.cardio,
        recipient=territory.gp,
        discharged_at=timezone.now() - timedelta(hours=1),
    )
    # A lab report for nobody known: it waits for identitovigilance.
    hl7 = (
        "MSH|^~\\&|LAB|LABO FICTIF|PARCOURS|CH|20260305120000||ORU^R01|M1|P|2.5\r"
        "PID|1||X1^^^LAB||INCONNU^PERSONNE||19610101|M\r"
        "OBR|1||A1|2823-3^Potassium^LN|||20260305100000\r"
        "OBX|1|NM|2823-3^Potassium^LN||4.2|mmol/L|3.5-5.0|N|||F\r"
    )
    lab_import_file(data=hl7.encode(), file_name="attente.hl7")
    waiting = LabReport.objects.latest("pk")
    # A duplicate pair (gp2 created a near twin) and a merge that can be undone.
    twin = patient_create(
        actor=territory.gp2,
        birth_name="Dupond",
        birth_given_names="Marie",
        birth_date=date(1950, 3, 4),
        sex="F",
    )
    pair = DuplicateCandidate.objects.filter(state="open").latest("pk")
    a = patient_create(
        actor=territory.gp,
        birth_name="Lemoine",
        birth_given_names="Paul",
        birth_date=date(1960, 2, 2),
        sex="M",
    ).patient
    b = patient_create(
        actor=territory.gp,
        birth_name="Lemoine",
        birth_given_names="Paul Jean",
        birth_date=date(1960, 2, 2),
        sex="M",
    ).patient
    merge = patient_merge(
        actor=territory.cell, survivor=a, merged=b, reason="même personne", confirmed=True
    )
    notification = Notification.objects.filter(user=territory.doctor).latest("pk")
    practitioner = Practitioner.objects.filter(
        user=territory.doctor
    ).first() or Practitioner.objects.create(
        user=territory.doctor, last_name="Doctor", first_name="Léa", specialty="Cardiologie"
    )
    assert twin.patient and waiting.patient_id is None
    # On-call rosters: the cardiology line generated for March (rota_shifts); the head asks the
    # doctor to swap a Sunday; the doctor holds a Tuesday night; a replacement; a period
    # waiting for validation; the doctor's own calendar feed.
    from parcours.oncall.models import PersonalFeed, RosterPeriod
    from parcours.oncall.services import override_create, swap_ask

    roster = rota_shifts.cardio
    sunday = roster.shifts.get(start__date=date(2026, 3, 8))
    tuesday = roster.shifts.get(start__date=date(2026, 3, 10))
    swap = swap_ask(actor=territory.head, shift=sunday, target=rota_shifts.doctor)
    override = override_create(
        actor=territory.head,
        roster=roster,
        practitioner=rota_shifts.locum,
        start=tuesday.start,
        end=tuesday.start + timedelta(hours=2),
    )
    period = RosterPeriod.objects.create(
        roster=roster,
        start=date(2026, 3, 1),
        end=date(2026, 3, 31),
        state=RosterPeriod.State.SUBMITTED,
        submitted_at=timezone.now(),
        submitted_by=territory.head,
    )
    feed = PersonalFeed.objects.create(user=territory.doctor)
    # Collaborative spaces: gp owns the space, desk moderates it, doctor is a member.
    from parcours.spaces import services as spaces

    sw = space_world
    spaces_doc = spaces.page_create(
        actor=territory.gp,
        space=sw.space,
        kind="document",
        title="Plaquette",
        visibility="members",
        upload=pdf_upload("plaquette.pdf"),
    )
    spaces_entry = spaces.entry_save(actor=territory.gp, page=sw.directory, provider="Repas Test")
    spaces_topic = spaces.topic_create(actor=territory.gp, space=sw.space, title="Sujet", body="B")
    spaces_feed = spaces.feed_create(actor=territory.gp, space=sw.space)
    spaces_event = spaces.event_create(
        actor=territory.doctor,
        space=sw.space,
        title="Réunion",
        start=timezone.now() + timedelta(days=2),
        end=timezone.now() + timedelta(days=2, hours=1),
    )
    # A care network coordinated by gp; doctor is a member in the care circle; gp2 a member
    # outside it (sees the network, not the record).
    from parcours.records.services import circle_add, response_save
    from parcours.records.tests.fixtures import build_network, open_record

    net = build_network(
        admin=territory.admin,
        coordinator=territory.gp,
        members={"medecin": [territory.doctor], "infirmier": [territory.gp2]},
    )
    record = open_record(
        coordinator=territory.gp, network=net.network, patient=patient, document=pdf_upload()
    )
    circle_add(actor=territory.gp, record=record, user=territory.doctor)
    response = response_save(
        actor=territory.doctor,
        record=record,
        version=net.forms["suivi-medecin"].versions.get(),
        answers={"visite": {"date_visite": "2026-03-03", "motif": "Chute"}},
    )
    return SimpleNamespace(
        sw=sw,
        spaces_doc=spaces_doc,
        spaces_entry=spaces_entry,
        spaces_topic=spaces_topic,
        spaces_post=spaces_topic.posts.get(),
        spaces_feed=spaces_feed,
        spaces_event=spaces_event,
        spaces_member=sw.space.members.get(user=territory.doctor),
        net=net,
        record=record,
        consent=record.consents.get(),
        response=response,
        t=territory,
        patient=patient,
        referral=referral,
        attachment=referral.attachments.first(),
        appointment=appointment,
        imaging=imaging,
        thread=thread,
        mail_attachment=thread.messages.first().attachments.first(),
        folder=folder,
        letter=letter,
        lab=waiting,
        pair=pair,
        merge=merge,
        notification=notification,
        agenda=agenda,
        slot=slot_on(agenda.cardio, 10, 9, 30),
        practitioner=practitioner,
        roster=roster,
        shift=tuesday,
        swap=swap,
        override=override,
        period=period,
        feed=feed,
    )


def _url(name: str, *args) -> str:
    return reverse(name, args=args)


def _smp(w):
    """The Service Médical de Proximité of the world, built on first use (its own personas are
    tested page by page in parcours/proximity/tests/test_access.py)."""
    if not hasattr(w, "smp"):
        w.smp = build_smp(w.t, w.patient)
        w.smp.consultation = consultation_record(
            actor=w.smp.retired, episode=w.smp.episode, reason="Bilan"
        )
        w.smp.document = prescription_issue(
            actor=w.smp.retired, consultation=w.smp.consultation, lines="Paracétamol 1 g"
        )
    return w.smp


# How to build each route's URL from the world.
URLS = {
    "home": lambda w: _url("home"),
    "healthz": lambda w: _url("healthz"),
    "login": lambda w: _url("login"),
    "logout": lambda w: _url("logout"),
    "password_change": lambda w: _url("password_change"),
    "password_change_done": lambda w: _url("password_change_done"),
    "accounts:psc_start": lambda w: _url("accounts:psc_start"),
    "accounts:psc_callback": lambda w: _url("accounts:psc_callback"),
    "accounts:psc_practice": lambda w: _url("accounts:psc_practice"),
    "accounts:second_factor": lambda w: _url("accounts:second_factor"),
    "accounts:second_factor_setup": lambda w: _url("accounts:second_factor_setup"),
    "patients:search": lambda w: _url("patients:search") + "?q=dupont",
    "patients:create": lambda w: _url("patients:create"),
    "patients:detail": lambda w: _url("patients:detail", w.patient.pk),
    "patients:scan": lambda w: _url("patients:scan", w.patient.pk),
    "patients:identifier-add": lambda w: _url("patients:identifier-add", w.patient.pk),
    "patients:emergency": lambda w: _url("patients:emergency", w.patient.pk),
    "patients:treating-doctor": lambda w: _url("patients:treating-doctor", w.patient.pk),
    "patients:mine": lambda w: _url("patients:mine") + "?q=dupont",
    "patients:communes": lambda w: _url("patients:communes") + "?q=laval",
    "patients:duplicates": lambda w: _url("patients:duplicates"),
    "patients:scan-number": lambda w: _url("patients:scan-number"),
    "patients:duplicate": lambda w: _url("patients:duplicate", w.pair.pk),
    "patients:merge-undo": lambda w: _url("patients:merge-undo", w.merge.pk),
    "referrals:list": lambda w: _url("referrals:list"),
    "referrals:new": lambda w: _url("referrals:new") + f"?patient={w.patient.pk}",
    "referrals:inbox": lambda w: _url("referrals:inbox"),
    "referrals:queue": lambda w: _url("referrals:queue"),
    "referrals:detail": lambda w: _url("referrals:detail", w.referral.pk),
    "referrals:action": lambda w: _url("referrals:action", w.referral.pk, "message"),
    "referrals:attachment": lambda w: _url("referrals:attachment", w.referral.pk, w.attachment.pk),
    "referrals:attachment_preview": lambda w: _url(
        "referrals:attachment_preview", w.referral.pk, w.attachment.pk
    ),
    "directory:index": lambda w: _url("directory:index"),
    "directory:service": lambda w: _url("directory:service", w.t.cardio.pk),
    "directory:service_edit": lambda w: _url("directory:service_edit", w.t.cardio.pk),
    "directory:practitioner": lambda w: _url("directory:practitioner", w.practitioner.pk),
    "directory:practitioner_edit": lambda w: _url("directory:practitioner_edit", w.practitioner.pk),
    "scheduling:search": lambda w: _url("scheduling:search"),
    "scheduling:book": lambda w: _url("scheduling:book", w.slot.pk) + f"?patient={w.patient.pk}",
    "scheduling:appointments": lambda w: _url("scheduling:appointments"),
    "scheduling:appointment": lambda w: _url("scheduling:appointment", w.appointment.pk),
    "scheduling:move": lambda w: _url("scheduling:move", w.appointment.pk),
    "scheduling:report-file": lambda w: _url("scheduling:report-file", w.imaging.pk),
    "scheduling:prescription": lambda w: _url("scheduling:prescription", w.imaging.pk),
    "scheduling:week": lambda w: (
        _url("scheduling:week", w.agenda.cardio.pk) + f"?patient={w.patient.pk}"
    ),
    "scheduling:agenda": lambda w: _url("scheduling:agenda", w.agenda.cardio.pk),
    "scheduling:open-slots": lambda w: _url("scheduling:open-slots", w.agenda.cardio.pk),
    "scheduling:setup": lambda w: _url("scheduling:setup", w.agenda.cardio.pk),
    "scheduling:waitlist": lambda w: _url("scheduling:waitlist", w.agenda.cardio.pk),
    "scheduling:ical": lambda w: _url(
        "scheduling:ical", w.agenda.cardio.pk, w.agenda.cardio.ical_token
    ),
    "messaging:mailbox": lambda w: _url("messaging:mailbox"),
    "messaging:recipients": lambda w: _url("messaging:recipients") + "?q=car",
    "messaging:compose": lambda w: _url("messaging:compose"),
    "messaging:thread": lambda w: _url("messaging:thread", w.thread.pk),
    "messaging:thread_file": lambda w: _url("messaging:thread_file", w.thread.pk),
    "messaging:folder_create": lambda w: _url("messaging:folder_create"),
    "messaging:folder_delete": lambda w: _url("messaging:folder_delete", w.folder.pk),
    "messaging:attachment": lambda w: _url("messaging:attachment", w.mail_attachment.pk),
    "messaging:letters": lambda w: _url("messaging:letters"),
    "messaging:letter_new": lambda w: _url("messaging:letter_new"),
    "messaging:letter": lambda w: _url("messaging:letter", w.letter.pk),
    "labs:list": lambda w: _url("labs:list"),
    "labs:upload": lambda w: _url("labs:upload"),
    "labs:detail": lambda w: _url("labs:detail", w.lab.pk),
    "notifications:centre": lambda w: _url("notifications:centre"),
    "notifications:mark_read": lambda w: _url("notifications:mark_read"),
    "notifications:stream": lambda w: _url("notifications:stream"),
    "notifications:open": lambda w: _url("notifications:open", w.notification.pk),
    "indicators:index": lambda w: _url("indicators:index"),
    "indicators:appointments": lambda w: _url("indicators:appointments"),
    "indicators:letters": lambda w: _url("indicators:letters"),
    "oncall:index": lambda w: _url("oncall:index"),
    "oncall:mine": lambda w: _url("oncall:mine"),
    "oncall:mine-feed-renew": lambda w: _url("oncall:mine-feed-renew"),
    "oncall:mine-ical": lambda w: _url("oncall:mine-ical", w.feed.token),
    "oncall:roster": lambda w: _url("oncall:roster", w.roster.pk),
    "oncall:history": lambda w: _url("oncall:history", w.roster.pk),
    "oncall:generate": lambda w: _url("oncall:generate", w.roster.pk),
    "oncall:override": lambda w: _url("oncall:override", w.roster.pk),
    "oncall:publish": lambda w: _url("oncall:publish", w.roster.pk),
    "oncall:feed-renew": lambda w: _url("oncall:feed-renew", w.roster.pk),
    "oncall:export": lambda w: _url("oncall:export", w.roster.pk),
    "oncall:print": lambda w: _url("oncall:print", w.roster.pk),
    "oncall:ical": lambda w: _url("oncall:ical", w.roster.pk, w.roster.ical_token),
    "oncall:override-cancel": lambda w: _url("oncall:override-cancel", w.override.pk),
    "oncall:period-validate": lambda w: _url("oncall:period-validate", w.period.pk),
    "oncall:take": lambda w: _url("oncall:take", w.shift.pk),
    "oncall:offer": lambda w: _url("oncall:offer", w.shift.pk),
    "oncall:assign": lambda w: _url("oncall:assign", w.shift.pk),
    "oncall:swap": lambda w: _url("oncall:swap", w.shift.pk),
    "oncall:swap-cancel": lambda w: _url("oncall:swap-cancel", w.swap.pk),
    "oncall:swap-answer": lambda w: _url("oncall:swap-answer", w.swap.pk, "accepter"),
    "spaces:index": lambda w: _url("spaces:index") + "?q=portage",
    "spaces:create": lambda w: _url("spaces:create"),
    "spaces:my_calendar": lambda w: _url("spaces:my_calendar"),
    "spaces:feed_create": lambda w: _url("spaces:feed_create"),
    "spaces:feed_revoke": lambda w: _url("spaces:feed_revoke", w.spaces_feed.pk),
    "spaces:feed": lambda w: _url("spaces:feed", w.spaces_feed.token),
    "spaces:detail": lambda w: _url("spaces:detail", w.sw.space.pk),
    "spaces:join": lambda w: _url("spaces:join", w.sw.space.pk),
    "spaces:leave": lambda w: _url("spaces:leave", w.sw.space.pk),
    "spaces:members": lambda w: _url("spaces:members", w.sw.space.pk),
    "spaces:member_decide": lambda w: _url(
        "spaces:member_decide", w.sw.space.pk, w.spaces_member.pk
    ),
    "spaces:page_new": lambda w: _url("spaces:page_new", w.sw.space.pk),
    "spaces:page": lambda w: _url("spaces:page", w.sw.space.pk, w.sw.members_page.pk),
    "spaces:page_checkout": lambda w: _url(
        "spaces:page_checkout", w.sw.space.pk, w.sw.members_page.pk
    ),
    "spaces:page_edit": lambda w: _url("spaces:page_edit", w.sw.space.pk, w.sw.members_page.pk),
    "spaces:page_release": lambda w: _url(
        "spaces:page_release", w.sw.space.pk, w.sw.members_page.pk
    ),
    "spaces:page_visibility": lambda w: _url(
        "spaces:page_visibility", w.sw.space.pk, w.sw.members_page.pk
    ),
    "spaces:page_history": lambda w: _url(
        "spaces:page_history", w.sw.space.pk, w.sw.members_page.pk
    ),
    "spaces:page_restore": lambda w: _url(
        "spaces:page_restore", w.sw.space.pk, w.sw.members_page.pk, 1
    ),
    "spaces:version_file": lambda w: _url("spaces:version_file", w.sw.space.pk, w.spaces_doc.pk, 1),
    "spaces:entry_new": lambda w: _url("spaces:entry_new", w.sw.space.pk, w.sw.directory.pk),
    "spaces:entry_edit": lambda w: _url(
        "spaces:entry_edit", w.sw.space.pk, w.sw.directory.pk, w.spaces_entry.pk
    ),
    "spaces:directory_csv": lambda w: _url(
        "spaces:directory_csv", w.sw.space.pk, w.sw.directory.pk
    ),
    "spaces:calendar": lambda w: _url("spaces:calendar", w.sw.space.pk),
    "spaces:event_new": lambda w: _url("spaces:event_new", w.sw.space.pk),
    "spaces:event_cancel": lambda w: _url("spaces:event_cancel", w.sw.space.pk, w.spaces_event.pk),
    "spaces:forum": lambda w: _url("spaces:forum", w.sw.space.pk),
    "spaces:topic": lambda w: _url("spaces:topic", w.sw.space.pk, w.spaces_topic.pk),
    "spaces:topic_follow": lambda w: _url("spaces:topic_follow", w.sw.space.pk, w.spaces_topic.pk),
    "spaces:topic_lock": lambda w: _url("spaces:topic_lock", w.sw.space.pk, w.spaces_topic.pk),
    "spaces:post_hide": lambda w: _url("spaces:post_hide", w.sw.space.pk, w.spaces_post.pk),
    "records:index": lambda w: _url("records:index"),
    "records:network": lambda w: _url("records:network", w.net.network.pk),
    "records:enrol": lambda w: _url("records:enrol", w.net.network.pk) + "?q=dupont",
    "records:builder": lambda w: _url("records:builder", w.net.forms["grille"].pk),
    "records:preview": lambda w: _url("records:preview", w.net.forms["grille"].pk),
    "records:record": lambda w: _url("records:record", w.record.pk),
    "records:consent": lambda w: _url("records:consent", w.record.pk),
    "records:visibility": lambda w: _url("records:visibility", w.record.pk),
    "records:fill": lambda w: _url("records:fill", w.record.pk, w.net.forms["suivi-medecin"].pk),
    "records:consent-document": lambda w: _url("records:consent-document", w.consent.pk),
    "records:response": lambda w: _url("records:response", w.response.pk),
    "records:edit": lambda w: _url("records:edit", w.response.pk),
    "records:migrate": lambda w: _url("records:migrate", w.response.pk),
    "proximity:registry": lambda w: _url("proximity:registry"),
    "proximity:signup": lambda w: _url("proximity:signup"),
    "proximity:episode": lambda w: _url("proximity:episode", _smp(w).episode.pk),
    "proximity:priority": lambda w: _url("proximity:priority", _smp(w).episode.pk),
    "proximity:book": lambda w: _url("proximity:book", _smp(w).episode.pk),
    "proximity:consult": lambda w: _url("proximity:consult", _smp(w).episode.pk),
    "proximity:declare": lambda w: _url("proximity:declare", _smp(w).episode.pk),
    "proximity:handover-send": lambda w: _url("proximity:handover-send", _smp(w).episode.pk),
    "proximity:handover-withdraw": lambda w: _url(
        "proximity:handover-withdraw", _smp(w).episode.pk
    ),
    "proximity:cancel": lambda w: _url("proximity:cancel", _smp(w).episode.pk),
    "proximity:consultation": lambda w: _url("proximity:consultation", _smp(w).consultation.pk),
    "proximity:prescription-new": lambda w: _url(
        "proximity:prescription-new", _smp(w).consultation.pk
    ),
    "proximity:document": lambda w: _url("proximity:document", _smp(w).document.pk),
    "proximity:supervision": lambda w: _url("proximity:supervision"),
    "proximity:portfolio": lambda w: _url("proximity:portfolio", _smp(w).intern.pk),
    "proximity:handover": lambda w: _url("proximity:handover", _smp(w).episode.pk),
    "proximity:indicators": lambda w: _url("proximity:indicators"),
}

# Status on GET, per persona (PERSONAS order).
GETS = {
    #                            anon  gp  gp2 desk dkB  doc  pne  rad  adm  cel  nob
    "home": [302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302],
    "healthz": [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "login": [200, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302],
    "logout": [405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "password_change": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "password_change_done": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    # Pro Santé Connect is not configured in the tests' settings: its routes are 404; the
    # practice choice exists only in a PSC session (parcours/accounts/tests).
    "accounts:psc_start": [404] * 11,
    "accounts:psc_callback": [404] * 11,
    "accounts:psc_practice": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "accounts:second_factor": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "accounts:second_factor_setup": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "patients:search": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "patients:create": [302, 200, 200, 404, 404, 404, 404, 404, 404, 404, 404],
    "patients:detail": [302, 200, 404, 200, 404, 200, 404, 200, 404, 404, 404],
    "patients:scan": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "patients:identifier-add": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "patients:emergency": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "patients:treating-doctor": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "patients:mine": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "patients:communes": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "patients:duplicates": [302, 404, 404, 200, 200, 404, 404, 404, 404, 200, 404],
    "patients:scan-number": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "patients:duplicate": [302, 404, 404, 200, 404, 404, 404, 404, 404, 200, 404],
    "patients:merge-undo": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "referrals:list": [302, 200, 200, 404, 404, 404, 404, 404, 404, 404, 404],
    "referrals:new": [302, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "referrals:inbox": [302, 404, 404, 200, 200, 404, 404, 404, 404, 404, 404],
    "referrals:queue": [302, 404, 404, 404, 404, 200, 200, 404, 404, 404, 404],
    "referrals:detail": [302, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404],
    "referrals:action": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "referrals:attachment": [302, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404],
    "referrals:attachment_preview": [302, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404],
    "directory:index": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "directory:service": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "directory:service_edit": [302, 403, 403, 403, 403, 403, 403, 403, 200, 403, 403],
    "directory:practitioner": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "directory:practitioner_edit": [302, 403, 403, 403, 403, 200, 403, 403, 200, 403, 403],
    "scheduling:search": [302, 200, 200, 200, 404, 200, 404, 200, 404, 404, 404],
    "scheduling:book": [302, 200, 404, 200, 404, 200, 404, 200, 404, 404, 404],
    "scheduling:appointments": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "scheduling:appointment": [302, 200, 404, 200, 404, 200, 404, 200, 404, 404, 404],
    "scheduling:move": [302, 200, 404, 200, 404, 200, 404, 200, 404, 404, 404],
    "scheduling:report-file": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "scheduling:prescription": [302, 200, 404, 200, 404, 404, 404, 200, 404, 404, 404],
    "scheduling:agenda": [302, 404, 404, 200, 404, 200, 404, 200, 404, 404, 404],
    "scheduling:week": [302, 200, 404, 200, 404, 200, 404, 200, 404, 404, 404],
    "scheduling:open-slots": [405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "scheduling:setup": [302, 404, 404, 200, 404, 200, 404, 200, 404, 404, 404],
    "scheduling:waitlist": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "scheduling:ical": [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "messaging:mailbox": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "messaging:recipients": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 403],
    "messaging:compose": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "messaging:thread": [302, 200, 404, 404, 404, 200, 404, 404, 404, 404, 404],
    "messaging:thread_file": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "messaging:folder_create": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "messaging:folder_delete": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "messaging:attachment": [302, 200, 404, 404, 404, 200, 404, 404, 404, 404, 404],
    "messaging:letters": [302, 200, 404, 200, 200, 200, 200, 404, 404, 404, 404],
    "messaging:letter_new": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "messaging:letter": [302, 200, 404, 200, 404, 200, 404, 200, 404, 404, 404],
    "labs:list": [302, 200, 200, 200, 200, 404, 404, 404, 404, 200, 404],
    "labs:upload": [302, 200, 200, 404, 404, 404, 404, 404, 200, 404, 404],
    "labs:detail": [302, 404, 404, 200, 200, 404, 404, 404, 404, 200, 404],
    "notifications:centre": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "notifications:mark_read": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "notifications:stream": [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "notifications:open": [302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302],
    "indicators:index": [302, 404, 404, 200, 200, 200, 200, 302, 200, 404, 404],
    "indicators:appointments": [302, 404, 404, 200, 404, 200, 404, 200, 200, 404, 404],
    "indicators:letters": [302, 404, 404, 200, 200, 200, 200, 404, 200, 404, 404],
    "oncall:index": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "oncall:mine": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "oncall:mine-feed-renew": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "oncall:mine-ical": [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "oncall:roster": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "oncall:history": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "oncall:generate": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "oncall:override": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "oncall:publish": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "oncall:feed-renew": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "oncall:export": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "oncall:print": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "oncall:ical": [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "oncall:override-cancel": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "oncall:period-validate": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "oncall:take": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "oncall:offer": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "oncall:assign": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "oncall:swap": [302, 404, 404, 404, 404, 200, 404, 404, 404, 404, 404],
    "oncall:swap-cancel": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "oncall:swap-answer": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "spaces:index": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "spaces:create": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 404],
    "spaces:my_calendar": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "spaces:feed_create": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "spaces:feed_revoke": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "spaces:feed": [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "spaces:detail": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "spaces:join": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "spaces:leave": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "spaces:members": [302, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404],
    "spaces:member_decide": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "spaces:page_new": [302, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404],
    "spaces:page": [302, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404],
    "spaces:page_checkout": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "spaces:page_edit": [302, 302, 404, 302, 404, 302, 404, 404, 404, 404, 404],
    "spaces:page_release": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "spaces:page_visibility": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "spaces:page_history": [302, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404],
    "spaces:page_restore": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "spaces:version_file": [302, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404],
    "spaces:entry_new": [302, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404],
    "spaces:entry_edit": [302, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404],
    "spaces:directory_csv": [302, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404],
    "spaces:calendar": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "spaces:event_new": [302, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404],
    "spaces:event_cancel": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "spaces:forum": [302, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404],
    "spaces:topic": [302, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404],
    "spaces:topic_follow": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "spaces:topic_lock": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "spaces:post_hide": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    # Care networks: gp coordinates, doctor is a GP member in the care circle, gp2 a member
    # outside the circle; nobody else is a member.
    "records:index": [302, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "records:network": [302, 200, 200, 404, 404, 200, 404, 404, 404, 404, 404],
    "records:enrol": [302, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "records:builder": [302, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "records:preview": [302, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "records:record": [302, 200, 404, 404, 404, 200, 404, 404, 404, 404, 404],
    "records:consent": [302, 302, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "records:visibility": [302, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "records:fill": [302, 200, 404, 404, 404, 200, 404, 404, 404, 404, 404],
    "records:consent-document": [302, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "records:response": [302, 200, 404, 404, 404, 200, 404, 404, 404, 404, 404],
    "records:edit": [302, 200, 404, 404, 404, 200, 404, 404, 404, 404, 404],
    "records:migrate": [302, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    # The SMP: none of these personas belongs to it (its own roles: proximity/tests).
    "proximity:registry": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:signup": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:episode": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:priority": [405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "proximity:book": [405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "proximity:consult": [405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "proximity:declare": [405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "proximity:handover-send": [405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "proximity:handover-withdraw": [405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "proximity:cancel": [405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "proximity:consultation": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:prescription-new": [405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405],
    "proximity:document": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:supervision": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:portfolio": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:handover": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:indicators": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
}

# POST-only routes (405 on GET): status of an empty POST, per persona.
POSTS = {
    #                            anon  gp  gp2 desk dkB  doc  pne  rad  adm  cel  nob
    "logout": [302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302],
    "patients:scan": [302, 404, 404, 302, 404, 404, 404, 404, 404, 302, 404],
    "patients:identifier-add": [302, 302, 404, 302, 404, 302, 404, 302, 404, 404, 404],
    "patients:emergency": [302, 400, 404, 400, 404, 400, 404, 400, 404, 404, 404],
    "patients:treating-doctor": [302, 302, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "patients:scan-number": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "patients:merge-undo": [302, 404, 404, 404, 404, 404, 404, 404, 404, 302, 404],
    "referrals:action": [302, 400, 404, 400, 404, 400, 404, 404, 404, 404, 404],
    "scheduling:open-slots": [302, 404, 404, 302, 404, 302, 404, 302, 404, 404, 404],
    "scheduling:report-file": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "messaging:thread_file": [302, 302, 404, 404, 404, 302, 404, 404, 404, 404, 404],
    "messaging:folder_create": [302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302],
    "messaging:folder_delete": [302, 302, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "notifications:mark_read": [302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302],
    "oncall:mine-feed-renew": [302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302],
    "oncall:generate": [302, 404, 404, 404, 404, 404, 404, 404, 200, 404, 404],
    "oncall:override": [302, 404, 404, 404, 404, 404, 404, 404, 200, 404, 404],
    "oncall:publish": [302, 404, 404, 404, 404, 404, 404, 404, 200, 404, 404],
    "oncall:feed-renew": [302, 404, 404, 404, 404, 404, 404, 404, 302, 404, 404],
    "oncall:override-cancel": [302, 404, 404, 404, 404, 404, 404, 404, 302, 404, 404],
    "oncall:period-validate": [302, 404, 404, 404, 404, 404, 404, 404, 302, 404, 404],
    "oncall:take": [302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302],
    "oncall:offer": [302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302],
    "oncall:assign": [302, 404, 404, 404, 404, 404, 404, 404, 302, 404, 404],
    "oncall:swap-cancel": [302, 404, 404, 404, 404, 302, 404, 404, 404, 404, 404],
    "oncall:swap-answer": [302, 404, 404, 404, 404, 302, 404, 404, 404, 404, 404],
    "spaces:feed_create": [302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302],
    "spaces:feed_revoke": [302, 302, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "spaces:join": [302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302],
    "spaces:member_decide": [302, 302, 404, 302, 404, 404, 404, 404, 404, 404, 404],
    "spaces:page_checkout": [302, 302, 404, 302, 404, 302, 404, 404, 404, 404, 404],
    "spaces:page_release": [302, 302, 404, 302, 404, 302, 404, 404, 404, 404, 404],
    "spaces:page_visibility": [302, 302, 404, 302, 404, 302, 404, 404, 404, 404, 404],
    "spaces:page_restore": [302, 302, 404, 302, 404, 302, 404, 404, 404, 404, 404],
    "spaces:event_cancel": [302, 302, 404, 302, 404, 302, 404, 404, 404, 404, 404],
    "spaces:topic_follow": [302, 302, 404, 302, 404, 302, 404, 404, 404, 404, 404],
    "spaces:topic_lock": [302, 302, 404, 302, 404, 302, 404, 404, 404, 404, 404],
    "spaces:post_hide": [302, 302, 404, 302, 404, 302, 404, 404, 404, 404, 404],
    "records:migrate": [302, 302, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:priority": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:book": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:consult": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:declare": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:handover-send": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:handover-withdraw": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:cancel": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    "proximity:prescription-new": [302, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    # Last: leaving ends the persona's membership for the routes after it.
    "spaces:leave": [302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302],
}


def _statuses(world, client, persona: str, post: bool) -> dict[str, tuple[str, int]]:
    """{route name: (url, status)} for one persona, GET on every route (or an empty POST on
    the POST-only ones)."""
    out = {}
    for name in POSTS if post else GETS:
        client.logout()  # afresh for each route: "logout" ends the session
        if persona != "anonymous":
            client.force_login(getattr(world.t, persona))
        url = URLS[name](world)
        response = client.post(url, {}) if post else client.get(url)
        if persona == "anonymous" and response.status_code == 302:
            assert response["Location"].startswith(reverse("login")), name
        out[name] = (url, response.status_code)
    return out


def test_every_route_has_an_access_rule():
    names = _route_names()
    missing = sorted(n for n in names if n not in GETS and not _elsewhere(n))
    assert not missing, (
        f"routes with no access rule (GETS in parcours/core/tests/test_routes_access.py): {missing}"
    )
    post_only = sorted(n for n, row in GETS.items() if set(row) == {405} - {302} and n not in POSTS)
    assert not post_only, f"POST-only routes missing from POSTS: {post_only}"
    stale = sorted((set(GETS) | set(POSTS) | set(URLS)) - set(names))
    assert not stale, f"the tables name routes that no longer exist: {stale}"
    assert set(URLS) == set(GETS), "every route in GETS needs its URL builder in URLS"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_route_for_every_persona(persona, world, client):
    i = PERSONAS.index(persona)
    wrong = []
    for post, table in ((False, GETS), (True, POSTS)):
        for name, (url, status) in _statuses(world, client, persona, post).items():
            if status != table[name][i]:
                wrong.append(
                    f"{'POST' if post else 'GET'} {name} {url}: {status}, expected {table[name][i]}"
                )
    assert not wrong, f"as {persona}:\n" + "\n".join(wrong)
