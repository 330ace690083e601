"""Demo lab results: files as labs send them (HL7 v2 and HPRIM Santé, invented identities and
values), imported through the real importer: a critical potassium for a patient of Dr Garnier
known by INS (attached, she is told); a blood count in HPRIM Santé, which carries no INS, so it
waits for the identitovigilance desk to confirm the identity; and one file of two patients,
one known by INS (attached for Dr Rousseau) and one the platform has never seen (waiting, with
a critical value: urgent in the queue)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from .services import lab_import_file


def _hl7_report(*, control: str, when: str, pid: str, prescriber: str, results: list[str]) -> str:
    segments = [
        f"MSH|^~\\&|SIL|LABO-BAS-MAINE|PARCOURS|MAYENNE|{when}||ORU^R01^ORU_R01|"
        f"{control}|P|2.5^FRA^2.10||||||UNICODE UTF-8",
        pid,
        f"OBR|1|CMD{control}|CR{control}|24323-8^Bilan^LN|||{when}|||||||||{prescriber}",
    ]
    segments += results
    return "\r".join(segments) + "\r"


def _pid(patient, nir: str) -> str:
    born = patient.birth_date.strftime("%Y%m%d")
    given = patient.birth_given_names.split(" ")[0]
    return (
        f"PID|1||D{patient.pk:05d}^^^LABO-BAS-MAINE&&M^PI~{nir}^^^ASIP-SANTE-INS-NIR&"
        f"1.2.250.1.213.1.4.8&ISO^INS||{patient.birth_name}^{given}^"
        f"{patient.birth_given_names}^^^^L||{born}|{patient.sex}|||||||||||||||||||||||||"
        f"VALI"
    )


def load_labs_demo(*, users, patients) -> dict[str, int]:
    """Import the demo files; returns how many reports were attached and are waiting."""
    gp1, gp2 = users["medecin.ville"], users["medecin.ville2"]
    now = timezone.localtime()
    stamp = (now - timedelta(hours=3)).strftime("%Y%m%d%H%M%S")
    day = (now - timedelta(days=6)).strftime("%Y%m%d%H%M")
    files = []
    # 1. A critical potassium for a patient known by INS (Dr Garnier prescribed it).
    bernard = patients[1]
    files.append(
        (
            "bilan-critique.hl7",
            _hl7_report(
                control="DEMO1",
                when=stamp,
                pid=_pid(bernard, bernard.ins_nir),
                prescriber=f"{gp1.rpps}^{gp1.last_name.upper()}^{gp1.first_name.upper()}",
                results=[
                    f"OBX|1|NM|2823-3^Potassium^LN||6.4|mmol/L|3.5-5.0|HH|||F|||{stamp}",
                    f"OBX|2|NM|2160-0^Créatinine^LN||98|umol/L|45-104|N|||F|||{stamp}",
                    f"OBX|3|SN|33914-3^DFG estimé^LN||>^90|mL/min/1.73m2|>60|N|||F|||{stamp}",
                    "NTE|1||Résultat critique téléphoné au prescripteur.",
                ],
            ),
        )
    )
    # 2. A blood count in HPRIM Santé (no INS in this format: it waits for a reviewer).
    petit = patients[2]
    files.append(
        (
            "nfs-petit.hpr",
            "\r\n".join(
                [
                    f"H|~^\\&|NFS.HPR||LABOBM~LABORATOIRE DU BAS-MAINE||ORU|||{gp1.rpps}~"
                    f"{gp1.last_name.upper()} {gp1.first_name.upper()}||P|H2.2~C|{day}",
                    f"P|1|DP{petit.pk:04d}|DP{petit.pk:04d}||{petit.birth_name}~{petit.birth_given_names}"
                    f"||{petit.birth_date:%Y%m%d}|{petit.sex}",
                    f"OBR|1||~NFS|NFS~Numération formule sanguine~L|R||{day}",
                    f"OBX|1|NM|HB~Hémoglobine~L||11.2|g/dL|12.0-16.0|L|||F|||{day}",
                    f"OBX|2|NM|LEUCO~Leucocytes~L||6.8|G/L|4.0-10.0|N|||F|||{day}",
                    f"OBX|3|NM|PLAQ~Plaquettes~L||245|G/L|150-400|N|||F|||{day}",
                    "L|1",
                    "",
                ]
            ),
        )
    )
    # 3. One file, two patients: a known one, and a person the platform has never seen
    #    (her report waits for identitovigilance).
    robin = patients[9]
    unknown_born = date(1968, 5, 14)
    files.append(
        (
            "deux-patients.hl7",
            _hl7_report(
                control="DEMO3A",
                when=stamp,
                pid=_pid(robin, robin.ins_nir),
                prescriber=f"{gp2.rpps}^{gp2.last_name.upper()}^{gp2.first_name.upper()}",
                results=[f"OBX|1|NM|4548-4^HbA1c^LN||7.9|%|4.0-6.0|H|||F|||{stamp}"],
            )
            + _hl7_report(
                control="DEMO3B",
                when=stamp,
                pid=(
                    f"PID|1||X88121^^^LABO-BAS-MAINE&&M^PI||LEMAIRE^NADINE^NADINE^^^^L||"
                    f"{unknown_born:%Y%m%d}|F"
                ),
                prescriber=f"{gp2.rpps}^{gp2.last_name.upper()}^{gp2.first_name.upper()}",
                results=[f"OBX|1|NM|1742-6^ALAT^LN||212|UI/L|7-40|HH|||F|||{stamp}"],
            ),
        )
    )
    counts = {"attached": 0, "waiting": 0}
    for name, text in files:
        outcome = lab_import_file(
            data=text.encode("utf-8"), file_name=name, actor=None, channel="demo"
        )
        counts["attached"] += outcome.matched
        counts["waiting"] += outcome.pending
    return counts
