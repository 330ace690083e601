"""The demo territory has enough history for the indicator charts to mean something."""

import pytest
from django.urls import reverse

from parcours.accounts.models import User
from parcours.core.demo import load_demo


@pytest.mark.django_db
def test_demo_charts_have_several_months_of_history(client):
    load_demo()
    client.force_login(User.objects.get(username="admin"))

    def months_with_data(url, key):
        response = client.get(url)
        assert response.status_code == 200
        chart = next(c for c in response.context["charts"] if c["key"] == key)
        totals = [sum(v or 0 for v in values) for _label, values in chart["rows"]]
        return sum(1 for t in totals if t)

    assert months_with_data(reverse("indicators:index"), "demandes-par-type") >= 4
    assert months_with_data(reverse("indicators:index"), "delai-median") >= 4
    assert months_with_data(reverse("indicators:appointments"), "rendez-vous") >= 4
    assert months_with_data(reverse("indicators:appointments"), "remplissage") >= 3
    assert months_with_data(reverse("indicators:letters"), "sorties") >= 3
