from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from parcours.lib.forms import DateInput, MultipleFileField, MultipleFileInput
from parcours.lib.ins import normalise_nir

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FILES = 50
# Formats a lab never sends: refused before reading (the format itself is recognised by
# content, never by file name, so the extension is not checked).
BINARY_MAGIC = {
    b"%PDF": "PDF",
    b"PK\x03\x04": "ZIP",
    b"\x89PNG": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"\xd0\xcf\x11\xe0": "Office",
    b"GIF8": "GIF",
}


class UploadForm(forms.Form):
    # The metaclass moves declared fields into base_fields: no clash with BaseForm.files.
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Fichiers de résultats (HPRIM, HL7)"),
        required=True,
        max_files=MAX_FILES,  # a laboratory's batch
        widget=MultipleFileInput(attrs={"accept": ".hpr,.hpm,.hl7,.txt,.HPR,.HPM,.HL7,.TXT"}),
        help_text=_(
            "Plusieurs fichiers possibles ; 2 Mo au plus chacun. Le format est reconnu au contenu."
        ),
    )

    def clean_files(self):
        """The files worth reading; each refused one is kept in ``self.refused`` as
        (name, French reason), so that one PDF or oversized file in a batch does not refuse
        the others (they are imported, the refused ones listed with why)."""
        files = self.cleaned_data["files"]
        if not files:
            raise forms.ValidationError(_("Choisissez au moins un fichier."))
        self.refused: list[tuple[str, str]] = []
        accepted = []
        for f in files:
            reason = self._refusal(f)
            if reason:
                self.refused.append((f.name, reason))
            else:
                accepted.append(f)
        return accepted

    @staticmethod
    def _refusal(f) -> str | Promise:
        if f.size > MAX_FILE_BYTES:
            return _("le fichier dépasse 2 Mo.")
        head = f.read(8)
        f.seek(0)
        kind = next((k for magic, k in BINARY_MAGIC.items() if head.startswith(magic)), "")
        if kind:
            return _(
                "c'est un fichier %(kind)s, pas un fichier de résultats (HPRIM ou HL7 attendu)."
            ) % {"kind": kind}
        return ""


class ReviewSearchForm(forms.Form):
    """Finding the identity of a waiting report: by name, NIR or birth date (any of them)."""

    nom = forms.CharField(label=_("Nom (et prénom)"), required=False, max_length=100)
    nir = forms.CharField(label=_("Matricule INS / NIR"), required=False, max_length=21)
    naissance = forms.DateField(label=_("Date de naissance"), required=False, widget=DateInput())

    def clean_nir(self):
        return normalise_nir(self.cleaned_data["nir"] or "")

    def clean(self):
        data = super().clean()
        if not (data.get("nom") or data.get("nir") or data.get("naissance")):
            raise forms.ValidationError(_("Indiquez un nom, un NIR ou une date de naissance."))
        return data


class PrescriberForm(forms.Form):
    code = forms.CharField(label=_("RPPS ou ADELI du prescripteur"), max_length=14)
