"""The PDF of a prescription issued at the SMP (fpdf2, core Helvetica font).

Issue 18: documents issued by an intern carry the intern's and the supervisor's identifiers
(RPPS) and the structure's FINESS. Pure layout: takes plain values, returns bytes; the service
(services.prescription_issue) stores the file and audits it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _
from fpdf import FPDF

# The core PDF fonts speak Latin-1 (cp1252 for fpdf2's core fonts): characters outside it are
# spelled out rather than dropped.
_OUTSIDE_LATIN1 = str.maketrans(
    {"œ": "oe", "Œ": "OE", "’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."}
)


def _latin1(text: str) -> str:
    return text.translate(_OUTSIDE_LATIN1).encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class Prescriber:
    """Who signs: name, RPPS, and for an intern the supervisor's name and RPPS."""

    name: str
    rpps: str
    intern: bool = False
    supervisor_name: str = ""
    supervisor_rpps: str = ""


def prescription_pdf(
    *,
    structure: str,
    finess: str,
    site: str,
    prescriber: Prescriber,
    patient_name: str,
    patient_birth: date,
    day: date,
    lines: list[str],
) -> bytes:
    """A one-page A4 prescription. Takes the structure's name and FINESS, the site, the
    prescriber, the patient's name and birth date, the date and the prescription lines;
    returns the PDF bytes."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_title(_("Ordonnance"))
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 7, _latin1(structure), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(
        0,
        5,
        _latin1(_("%(site)s - FINESS %(finess)s") % {"site": site, "finess": finess or "-"}),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, _latin1(prescriber.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    if prescriber.intern:
        pdf.cell(
            0,
            5,
            _latin1(
                _("Interne en médecine générale (SASPAS) - RPPS %(rpps)s")
                % {"rpps": prescriber.rpps or "-"}
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.cell(
            0,
            5,
            _latin1(
                _("Sous la supervision de %(name)s - RPPS %(rpps)s")
                % {"name": prescriber.supervisor_name, "rpps": prescriber.supervisor_rpps or "-"}
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    else:
        pdf.cell(
            0,
            5,
            _latin1(_("RPPS %(rpps)s") % {"rpps": prescriber.rpps or "-"}),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(6)
    pdf.cell(
        0,
        5,
        _latin1(_("Le %(day)s") % {"day": day.strftime("%d/%m/%Y")}),
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(
        0,
        6,
        _latin1(
            _("%(name)s, né(e) le %(birth)s")
            % {"name": patient_name, "birth": patient_birth.strftime("%d/%m/%Y")}
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 11)
    for line in lines:
        pdf.multi_cell(0, 6, _latin1(f"- {line}"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    return bytes(pdf.output())
