"""The demo is plausible (issue 14): children only in paediatrics, no one under 75 in
geriatrics, one specialty per doctor in the directory; hospital summaries on patient pages;
a duplicate pair waiting for identitovigilance; lab results attached and waiting."""

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import User
from parcours.core.demo import age_on, load_demo
from parcours.directory.models import Practitioner
from parcours.labs.models import LabReport
from parcours.patients.models import DuplicateCandidate, HospitalRecordItem
from parcours.referrals.models import Referral


def test_the_demo_is_plausible(db, client):
    load_demo()
    today = timezone.localdate()
    for r in Referral.objects.select_related("patient", "service"):
        age = age_on(r.patient.birth_date, today)
        if r.service.name == "Pédiatrie":
            assert age < 18, (r.reference, age)
        elif r.service.name == "Gériatrie":
            assert age >= 75, (r.reference, age)
        else:
            assert age >= 18, (r.reference, r.service.name, age)
    # One specialty per doctor: no name appears under two specialties.
    names = (
        Practitioner.objects.values("first_name", "last_name")
        .annotate(n=Count("specialty", distinct=True))
        .filter(n__gt=1)
    )
    assert list(names) == []
    # Summaries pushed by a hospital, shown on the patient page of a GP who cares for them.
    item = (
        HospitalRecordItem.objects.select_related("patient", "source").filter(kind="stay").first()
    )
    assert item is not None and item.source.name == "CH de Laval"
    assert HospitalRecordItem.objects.values("patient").distinct().count() >= 3
    gp = User.objects.get(username="medecin.ville")
    assert DuplicateCandidate.objects.filter(state=DuplicateCandidate.State.OPEN).exists()
    assert LabReport.objects.filter(match=LabReport.Match.PENDING).exists()
    assert LabReport.objects.filter(patient__isnull=False).exists()
    client.force_login(gp)
    with_summary = [p for p in HospitalRecordItem.objects.values_list("patient", flat=True)]
    for pk in set(with_summary):
        page = client.get(reverse("patients:detail", args=[pk]))
        if page.status_code == 200 and page.context["data_access"]:
            assert "Rien de transmis." not in page.content.decode().split("Séjours")[1][:400]
            break
    else:
        raise AssertionError("no summary visible to medecin.ville")
    client.force_login(User.objects.get(username="identitovigilance"))
    assert "LEFEVRE" in client.get(reverse("patients:duplicates")).content.decode()
