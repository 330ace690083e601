"""The demo territory loads through the real services, and its accounts see their part."""

from django.urls import reverse

from parcours.accounts.models import User
from parcours.core.demo import load_demo
from parcours.labs.models import LabReport


def test_the_demo_loads_and_its_accounts_see_their_work(db, client):
    counts = load_demo()
    assert counts["referrals"] > 50 and counts["appointments"] > 50
    assert load_demo() == {"skipped": 1}  # loading twice changes nothing
    gp = User.objects.get(username="medecin.ville")
    critical = LabReport.objects.get(prescriber=gp, critical_count__gt=0)
    assert critical.patient is not None
    client.force_login(gp)
    page = client.get(reverse("labs:list")).content.decode()
    assert "critique" in page.lower()
    waiting = LabReport.objects.filter(match=LabReport.Match.PENDING)
    assert waiting.count() == 2
    client.force_login(User.objects.get(username="cellule.laval"))
    assert client.get(reverse("labs:list")).status_code == 200
    assert client.get(reverse("referrals:inbox")).status_code == 200
    # The Service Médical de Proximité of Laval (issue 18) and its README accounts.
    assert counts["smp_episodes"] >= 300 and counts["smp_consultations"] > 300
    for username, url in (
        ("smp.accueil", reverse("proximity:registry")),
        ("smp.coordinateur", reverse("proximity:supervision")),
        ("smp.coordinateur", reverse("proximity:indicators")),
        ("smp.retraite", reverse("proximity:registry")),
        ("smp.interne", reverse("proximity:registry")),
    ):
        client.force_login(User.objects.get(username=username))
        assert client.get(url).status_code == 200, (username, url)
