"""What a GP reads of a result: flags and statuses in words on every page (issue 12, kind 8),
critical values apart in the prescriber's message too, one-sided ranges as written."""

import pytest
from django.urls import reverse

from parcours.labs.models import LabResult


@pytest.mark.parametrize(
    "low, high, text, shown",
    [
        ("3.5", "5.0", "3.5-5.0", "3.5 – 5.0"),
        ("60", "", ">60", ">60"),
        ("", "5", "", "≤ 5"),
        ("60", "", "", "≥ 60"),
        ("", "", "Limpide", "Limpide"),
        ("", "", "", ""),
    ],
)
def test_a_one_sided_range_never_reads_as_an_open_dash(low, high, text, shown):
    assert LabResult(low=low, high=high, range_text=text).reference_range == shown


def test_the_status_is_shown_in_words():
    assert LabResult(status="F").status_label == "définitif"
    assert LabResult(status="x").status_label == "impossible à obtenir"
    assert LabResult(status="").status_label == ""


def test_the_prescribers_message_shows_flags_in_words_and_critical_apart(territory, login):
    from datetime import date

    from parcours.labs.services import lab_import_file
    from parcours.messaging.models import MailboxEntry
    from parcours.patients.services import patient_create

    from .factories import PRESCRIBER_RPPS, make_nir

    territory.gp.rpps = PRESCRIBER_RPPS
    territory.gp.save(update_fields=["rpps"])
    born = date(1966, 2, 3)
    nir = make_nir("F", born, order=77)
    patient_create(
        actor=territory.gp,
        birth_name="VALLEE",
        birth_given_names="ROSE",
        birth_date=born,
        sex="F",
        ins_nir=nir,
    )
    data = "\r".join(
        [
            "MSH|^~\\&|SIL|LABO|PARCOURS|MAY|20261120100000||ORU^R01^ORU_R01|DISP1|P|2.5",
            f"PID|1||X1^^^LABO&&M^PI~{nir}^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^INS||"
            "VALLEE^ROSE^ROSE^^^^L||19660203|F",
            f"OBR|1|C1|DISP1|24323-8^Bilan^LN|||20261120100000|||||||||{PRESCRIBER_RPPS}^X^Y",
            "OBX|1|NM|2823-3^Potassium^LN||6.9|mmol/L|3.5-5.0|HH|||F",
            "OBX|2|NM|2951-2^Sodium^LN||133|mmol/L|135-145|L|||F",
            "OBX|3|SN|33914-3^DFG^LN||>^90|mL/min|>60|N|||F",
            "",
        ]
    ).encode()
    assert lab_import_file(data=data, file_name="d.hl7").matched == 1
    entry = MailboxEntry.objects.get(user=territory.gp)
    url = reverse("messaging:thread", args=[entry.thread_id])
    page = login(territory.gp).get(url).content.decode()
    table = page.split('class="list results"')[1].split("</table>")[0]
    assert "CRITIQUE" in table and 'class="abnormal critical"' in table
    assert ">HH<" not in table and ">L<" not in table
    assert "&gt;60" in table and "60 – <" not in table
