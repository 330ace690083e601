"""Lab results received as files (HPRIM Net, HPRIM Santé, HL7 v2), structured.

A file is stored once (its SHA-256): importing it again creates nothing. Each report it holds
is attached to a patient only when the identity server finds a *certain* match; otherwise it
waits, with the traits the file gave, until an identitovigilance reviewer attaches it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcours.lib.labs.model import FLAG_LABELS

# HL7 v2.5 table 0085 (observation result status), shown in words on the report page.
STATUS_LABELS = {
    "F": _("définitif"),
    "C": _("corrigé"),
    "P": _("préliminaire"),
    "R": _("non validé"),
    "S": _("partiel"),
    "I": _("en attente"),
    "X": _("impossible à obtenir"),
    "D": _("supprimé"),
    "W": _("erroné"),
    "U": _("définitif"),
    "N": _("non demandé"),
    "O": _("détail de la demande"),
}


class LabImport(models.Model):
    sha256 = models.CharField(max_length=64, unique=True)
    file_name = models.CharField(_("fichier"), max_length=255)
    format = models.CharField(_("format"), max_length=20)
    channel = models.CharField(max_length=20)  # upload, command
    # How the file's bytes were decoded (a Python codec name): shown on the import report so
    # that a mis-declared charset can be traced (issue 12, kind 5).
    encoding = models.CharField(_("encodage"), max_length=30, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fichier de résultats")
        verbose_name_plural = _("fichiers de résultats")

    def __str__(self) -> str:
        return self.file_name


class LabReport(models.Model):
    class Match(models.TextChoices):
        MATCHED = "matched", _("Rattaché au patient")
        PENDING = "pending", _("En attente d'identification")

    lab_import = models.ForeignKey(LabImport, on_delete=models.CASCADE, related_name="reports")
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lab_reports",
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lab_reports",
    )
    match = models.CharField(_("identification"), max_length=10, choices=Match.choices)
    # The patient as the file names them (kept for the review and for the record).
    family = models.CharField(_("nom"), max_length=100)
    given = models.CharField(_("prénom"), max_length=100, blank=True)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    sex = models.CharField(_("sexe"), max_length=1, blank=True)
    nir = models.CharField(_("NIR"), max_length=15, blank=True)
    # "NIR"/"NIA" when the file states that ``nir`` is the INS matricule (HL7 PID-3 with the
    # INS OIDs); "" when the number is only printed (HPRIM Net line 8): such a number never
    # attaches a report by itself (issue 12, identity in lab files).
    ins_kind = models.CharField(_("type de matricule (fichier)"), max_length=3, blank=True)
    used_name = models.CharField(_("nom utilisé"), max_length=100, blank=True)
    birth_given_names = models.CharField(_("prénoms de naissance"), max_length=200, blank=True)
    local_id = models.CharField(_("numéro du patient (laboratoire)"), max_length=50, blank=True)
    lab_name = models.CharField(_("laboratoire"), max_length=200, blank=True)
    prescriber_label = models.CharField(_("prescripteur (fichier)"), max_length=200, blank=True)
    # The prescriber's identifier as the file gives it (RPPS, idNatPs, ADELI or a lab code):
    # the prescriber is found by it, never by a name nor by who uploaded the file.
    prescriber_code = models.CharField(
        _("identifiant du prescripteur (fichier)"), max_length=30, blank=True
    )
    report_date = models.DateField(_("date"), null=True, blank=True)
    text = models.TextField(_("texte"), blank=True)
    abnormal_count = models.PositiveIntegerField(default=0)
    # Results flagged HH, LL or AA (panic values): shown apart from the merely abnormal ones.
    critical_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    matched_at = models.DateTimeField(null=True, blank=True)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("compte rendu de biologie")
        verbose_name_plural = _("comptes rendus de biologie")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["prescriber", "-created_at"], name="lab_prescriber"),
            models.Index(fields=["match", "created_at"], name="lab_match_queue"),
            # The identity hook looks up waiting reports by INS at every creation.
            models.Index(
                fields=["nir"], name="lab_waiting_ins", condition=models.Q(match="pending")
            ),
        ]

    def __str__(self) -> str:
        return f"biologie {self.pk}"

    @property
    def other_abnormal_count(self) -> int:
        """Abnormal values that are not critical (shown apart from the critical ones)."""
        return max(self.abnormal_count - self.critical_count, 0)

    @property
    def urgent(self) -> bool:
        """A critical value waits for its patient: identifying them is urgent."""
        return self.critical_count > 0 and self.match == self.Match.PENDING


class LabResult(models.Model):
    report = models.ForeignKey(LabReport, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveIntegerField()
    code = models.CharField(max_length=50, blank=True)
    code_system = models.CharField(max_length=20, blank=True)
    label = models.CharField(_("analyse"), max_length=200)
    value = models.CharField(_("valeur"), max_length=200, blank=True)
    unit = models.CharField(_("unité"), max_length=50, blank=True)
    low = models.CharField(max_length=30, blank=True)
    high = models.CharField(max_length=30, blank=True)
    range_text = models.CharField(max_length=60, blank=True)
    flag = models.CharField(max_length=4, blank=True)
    abnormal = models.BooleanField(default=False)
    # HL7 table 0078 panic flags (HH, LL, AA): parcours.lib.labs.model.CRITICAL.
    critical = models.BooleanField(default=False)
    # The structured value (HL7 SN / CWE, "<5" in HPRIM): ``value`` keeps the text as shown.
    # comparator "<", "<=", ">", ">=" before ``number``; ``separator`` ":" or "/" (ratio),
    # "-" (range), "+" (category) before ``number2``; a coded value's code and system.
    comparator = models.CharField(max_length=2, blank=True)
    number = models.CharField(max_length=40, blank=True)
    separator = models.CharField(max_length=1, blank=True)
    number2 = models.CharField(max_length=40, blank=True)
    value_code = models.CharField(max_length=50, blank=True)
    value_code_system = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=4, blank=True)
    observed_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["report_id", "position"]

    def __str__(self) -> str:
        return f"{self.label} {self.value} {self.unit}".strip()

    @property
    def flag_label(self) -> str:
        """The flag in words (never a bare letter to a GP)."""
        return FLAG_LABELS.get(self.flag.upper(), self.flag)

    @property
    def reference_range(self) -> str:
        """The range as a GP reads it: « 3.5 – 5.0 »; a one-sided range as the lab wrote it
        (« >60 ») or « ≥ 60 » / « ≤ 5 », never « 60 – » with nothing after the dash."""
        if self.low and self.high:
            return f"{self.low} – {self.high}"
        if self.range_text:
            return self.range_text
        if self.low:
            return f"≥ {self.low}"
        if self.high:
            return f"≤ {self.high}"
        return ""

    @property
    def status_label(self) -> str:
        """The result status in words (HL7 v2 table 0085, whose letters HPRIM uses too)."""
        return str(STATUS_LABELS.get(self.status.upper(), self.status))
