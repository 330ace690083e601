from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.referrals.forms import MultipleFileField, MultipleFileInput

MAX_FILE_BYTES = 2 * 1024 * 1024


class UploadForm(forms.Form):
    files = MultipleFileField(label=_("Fichiers de résultats (HPRIM, HL7)"), required=True,
                              widget=MultipleFileInput(attrs={"accept": ".hpr,.hpm,.hl7,.txt,"
                                                                        ".HPR,.HPM,.HL7,.TXT"}),
                              help_text=_("Plusieurs fichiers possibles ; 2 Mo au plus "
                                          "chacun. Le format est reconnu au contenu."))

    def clean_files(self):
        files = self.cleaned_data["files"]
        if not files:
            raise forms.ValidationError(_("Choisissez au moins un fichier."))
        for f in files:
            if f.size > MAX_FILE_BYTES:
                raise forms.ValidationError(_("« %(name)s » dépasse 2 Mo.") % {"name": f.name})
        return files
