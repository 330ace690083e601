"""The kinds of request a hospital service receives (seed 000: avis, hospitalisation,
consultation, examen). The directory owns the vocabulary because a service's per-kind response
delays (``ServiceDelay``) are directory data; the referral workflow uses the same choices
(``parcours.referrals.workflow.Kind`` is this class)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ADVICE = "ADVICE", _("Avis spécialisé (téléexpertise)")
    ADMISSION = "ADMISSION", _("Hospitalisation")
    CONSULTATION = "CONSULTATION", _("Consultation")
    EXAM = "EXAM", _("Examen complémentaire")
