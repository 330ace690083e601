"""Demo agendas: Laval cardiology consultations with partner and urgent slots, and the imaging
centre's ultrasound and CT half-days reserved to the MSP des Coëvrons (seed 002). Bookings of
the coming weeks go through the real services; past months are written directly so the
indicators have history (no service books in the past)."""

import random
from datetime import datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from .models import (
    Act,
    Appointment,
    AvailabilityRule,
    ImagingReport,
    Pool,
    Schedule,
    Slot,
)
from .services import appointment_move, slot_book, slots_generate


def _prescription_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing ``lines`` (Helvetica, WinAnsi): the demo's prescription. Built by
    hand (objects, then a cross-reference table with their byte offsets) to need no library."""
    text = (
        "BT /F1 12 Tf 60 780 Td 16 TL "
        + " ".join(
            "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
            for line in lines
        )
        + " ET"
    )
    stream = text.encode("cp1252")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def _rule(schedule, act, weekday, start, end, pool=Pool.OPEN, partner=None):
    AvailabilityRule.objects.create(
        schedule=schedule,
        act=act,
        weekday=weekday,
        start_time=start,
        end_time=end,
        pool=pool,
        partner=partner,
    )


def load_scheduling_demo(*, orgs, services, users, patients, seed: int = 53) -> dict:
    rnd = random.Random(seed)
    laval, imaging, evron = orgs["laval"], orgs["imaging"], orgs["msp_evron"]
    cardio = Schedule.objects.create(
        name="Consultations de cardiologie",
        kind=Schedule.Kind.SERVICE,
        organisation=laval,
        service=services[("laval", "Cardiologie")],
        horizon_weeks=6,
    )
    consult = Act.objects.create(
        schedule=cardio,
        name="Consultation de cardiologie",
        duration_minutes=30,
        instructions="Dernier ECG, ordonnances en cours, carte "
        "Vitale et courrier du médecin traitant.",
    )
    for weekday in (0, 3):
        _rule(cardio, consult, weekday, time(9), time(12))
    _rule(cardio, consult, 1, time(14), time(17), Pool.PARTNER, evron)
    _rule(cardio, consult, 2, time(9), time(10), Pool.URGENT)

    echo = Schedule.objects.create(
        name="Échographie",
        kind=Schedule.Kind.DEVICE,
        device=Schedule.Device.ULTRASOUND,
        organisation=imaging,
        horizon_weeks=6,
        release_hours=72,
    )
    echo_act = Act.objects.create(
        schedule=echo,
        name="Échographie abdominale",
        duration_minutes=20,
        instructions="Venir à jeun depuis 6 heures, avec l'ordonnance et les examens antérieurs.",
    )
    thyroid = Act.objects.create(
        schedule=echo,
        name="Échographie thyroïdienne",
        duration_minutes=20,
        instructions="Ordonnance et dernier bilan thyroïdien.",
    )
    _rule(echo, echo_act, 1, time(8, 30), time(12, 30), Pool.PARTNER, evron)
    _rule(echo, thyroid, 4, time(14), time(17))
    ct = Schedule.objects.create(
        name="Scanner",
        kind=Schedule.Kind.DEVICE,
        device=Schedule.Device.CT,
        organisation=imaging,
        horizon_weeks=6,
        release_hours=72,
    )
    ct_act = Act.objects.create(
        schedule=ct,
        name="Scanner thoraco-abdominal",
        duration_minutes=15,
        instructions="Ordonnance, dernière créatininémie (injection "
        "de produit de contraste), carte Vitale.",
    )
    _rule(ct, ct_act, 3, time(8, 30), time(12, 30), Pool.PARTNER, evron)
    _rule(ct, ct_act, 0, time(14), time(18))
    opened = sum(slots_generate(schedule=s) for s in (cardio, echo, ct))

    gp1, gp2 = users["medecin.ville"], users["medecin.ville2"]
    booked = 0
    made: list[Appointment] = []
    for schedule, gp, n in ((echo, gp1, 4), (ct, gp1, 2), (cardio, gp2, 3), (cardio, gp1, 2)):
        free = list(
            Slot.objects.filter(
                schedule=schedule, status=Slot.Status.FREE, pool__in=[Pool.OPEN, Pool.PARTNER]
            )[:40]
        )
        for slot in rnd.sample(free, min(n, len(free))):
            if slot.pool == Pool.PARTNER and gp != gp1:
                continue
            prescription = None
            if schedule.is_imaging and not any(a.prescription for a in made):
                # One imaging booking comes with its prescription, for the centre to open.
                prescription = SimpleUploadedFile(
                    "ordonnance-echographie.pdf",
                    _prescription_pdf(
                        [
                            "Ordonnance (document de démonstration, patient fictif)",
                            f"Examen demandé : {slot.act.name}.",
                            "Motif : douleurs de l'hypocondre droit, bilan hépatique perturbé.",
                            f"Dr {gp.last_name}",
                        ]
                    ),
                    content_type="application/pdf",
                )
            made.append(
                slot_book(
                    user=gp,
                    slot=slot,
                    patient=rnd.choice(patients),
                    note="Rendez-vous de démonstration.",
                    prescription=prescription,
                )
            )
            booked += 1
    # One cardiology appointment was moved once: its page shows the move's history.
    to_move = next((a for a in made if a.schedule_id == cardio.pk), None)
    later = (
        Slot.objects.filter(
            schedule=cardio, status=Slot.Status.FREE, pool=Pool.OPEN, start__gt=to_move.start
        )
        .order_by("start")
        .first()
        if to_move
        else None
    )
    if later is not None and to_move is not None:
        appointment_move(user=to_move.booked_by, appointment=to_move, new_slot=later)

    # History: six months of imaging and cardiology appointments for the indicators.
    tz = timezone.get_current_timezone()
    radiologist = users["radiologue"]
    today = timezone.localdate()
    for weeks_ago in range(1, 26):
        for schedule, act, hour, pool in (
            (echo, echo_act, 9, Pool.PARTNER),
            (ct, ct_act, 10, Pool.PARTNER),
            (cardio, consult, 15, Pool.OPEN),
        ):
            day = today - timedelta(weeks=weeks_ago, days=today.weekday() - 1)
            for k in range(4):
                start = datetime.combine(day, time(hour), tz) + timedelta(minutes=20 * k)
                used = rnd.random() < 0.75
                slot = Slot.objects.create(
                    schedule=schedule,
                    act=act,
                    start=start,
                    end=start + timedelta(minutes=20),
                    pool=pool,
                    reserved_pool=pool,
                    partner=evron if pool == Pool.PARTNER else None,
                    status=Slot.Status.BUSY if used else Slot.Status.BLOCKED,
                )
                if not used:
                    continue
                gp = gp1 if pool == Pool.PARTNER or rnd.random() < 0.5 else gp2
                a = Appointment.objects.create(
                    slot=slot,
                    schedule=schedule,
                    start=slot.start,
                    end=slot.end,
                    patient=rnd.choice(patients),
                    booked_by=gp,
                    prescriber=gp,
                    status=Appointment.Status.NOSHOW
                    if rnd.random() < 0.06
                    else Appointment.Status.FULFILLED,
                )
                if schedule.is_imaging and a.status == Appointment.Status.FULFILLED:
                    ImagingReport.objects.create(
                        appointment=a,
                        author=radiologist,
                        conclusion="Examen sans anomalie significative.",
                        accession=f"DEMO{a.pk:06d}",
                    )
    return {"agendas": 3, "slots_opened": opened, "appointments_booked": booked}
