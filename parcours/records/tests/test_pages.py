"""The record's pages, per profile: fill, read, refuse, and nothing for outsiders."""

import pytest
from django.urls import reverse

from parcours.audit.models import AuditEvent
from parcours.records.models import Response
from parcours.records.services import response_save

SOCIAL_POST = {
    "habitat.date_bilan": "2026-03-02",
    "habitat.type_habitat": "appartement",
    "habitat.etage": "3",
    "habitat.ascenseur": "false",
    "habitat.pieces": "2",
    "entourage.contacts.__rows": "2",
    "entourage.contacts.0.contact_nom": "Fille",
    "entourage.contacts.0.contact_lien": "enfant",
    "entourage.contacts.1.contact_nom": "Voisine",
    "entourage.contacts.1.contact_lien": "voisin",
}


def _fill_url(net, code):
    return reverse("records:fill", args=[net.record.pk, net.forms[code].pk])


def test_the_social_worker_fills_the_social_assessment_on_the_page(net, client):
    client.force_login(net.social)
    page = client.get(_fill_url(net, "bilan-social"))
    assert page.status_code == 200 and "Type d&#x27;habitat" in page.content.decode()
    saved = client.post(_fill_url(net, "bilan-social"), SOCIAL_POST)
    response = Response.objects.get()
    assert saved.status_code == 302 and saved["Location"] == reverse(
        "records:response", args=[response.pk]
    )
    assert [c["contact_nom"] for c in response.answers["entourage"]["contacts"]] == [
        "Fille",
        "Voisine",
    ]
    assert response.answers["habitat"]["etage"] == 3


def test_a_refused_answer_is_shown_on_the_page_with_the_item_named(net, client):
    client.force_login(net.social)
    data = dict(SOCIAL_POST, **{"habitat.pieces": "quatre"})
    page = client.post(_fill_url(net, "bilan-social"), data)
    assert page.status_code == 400
    assert "Habitat › Nombre de pièces : un nombre est attendu." in page.content.decode()
    assert not Response.objects.exists()


def test_adding_a_row_keeps_what_was_typed_and_saves_nothing(net, client):
    client.force_login(net.social)
    data = dict(SOCIAL_POST, add_row="entourage.contacts")
    page = client.post(_fill_url(net, "bilan-social"), data)
    body = page.content.decode()
    assert page.status_code == 200 and 'name="entourage.contacts.2.contact_nom"' in body
    assert 'value="Voisine"' in body and not Response.objects.exists()


def test_the_nurse_reads_the_social_assessment_and_the_read_is_audited(net, client):
    response = response_save(
        actor=net.social,
        record=net.record,
        version=net.forms["bilan-social"].versions.get(status="active"),
        answers={"habitat": {"date_bilan": "2026-03-02", "type_habitat": "maison"}},
    )
    client.force_login(net.nurse)
    page = client.get(reverse("records:response", args=[response.pk]))
    assert page.status_code == 200 and "Maison" in page.content.decode()
    assert "Modifier" not in page.content.decode()
    assert AuditEvent.objects.filter(
        user=net.nurse, action="read", object_type="response", object_id=str(response.pk)
    ).exists()


def test_the_social_worker_gets_nothing_of_the_medical_follow_up(net, client):
    medical = response_save(
        actor=net.t.gp,
        record=net.record,
        version=net.forms["suivi-medecin"].versions.get(status="active"),
        answers={"visite": {"date_visite": "2026-03-03", "motif": "Chute"}},
    )
    client.force_login(net.social)
    record_page = client.get(reverse("records:record", args=[net.record.pk])).content.decode()
    assert "Suivi médecin" not in record_page
    assert client.get(reverse("records:response", args=[medical.pk])).status_code == 404
    assert client.get(_fill_url(net, "suivi-medecin")).status_code == 404


@pytest.mark.parametrize("persona", ["nobody", "gp2", "desk", "admin"])
def test_outsiders_get_the_same_404_as_for_nothing(net, client, persona):
    client.force_login(getattr(net.t, persona))
    for url in (
        reverse("records:network", args=[net.network.pk]),
        reverse("records:record", args=[net.record.pk]),
        reverse("records:builder", args=[net.forms["grille"].pk]),
        _fill_url(net, "grille"),
    ):
        assert client.get(url).status_code == 404, url


def test_the_coordinator_builds_a_form_and_publishes_it(net, client):
    client.force_login(net.coord)
    created = client.post(
        reverse("records:network", args=[net.network.pk]), {"op": "form", "title": "Sortie"}
    )
    builder = created["Location"]
    client.post(builder, {"op": "add", "type": "group", "text": "Sortie du réseau"})
    client.post(
        builder,
        {
            "op": "add",
            "type": "date",
            "text": "Date de sortie",
            "parent": "sortie_du_reseau",
            "required": "on",
        },
    )
    client.post(
        builder,
        {
            "op": "add",
            "type": "choice",
            "text": "Motif",
            "parent": "sortie_du_reseau",
            "options": "deces | Décès\nehpad | Entrée en EHPAD\nautre | Autre",
        },
    )
    client.post(
        builder,
        {
            "op": "add",
            "type": "text",
            "text": "Précisez",
            "parent": "sortie_du_reseau",
            "when_question": "motif",
            "when_operator": "=",
            "when_answer": "autre",
        },
    )
    page = client.post(builder, {"op": "publish"}, follow=True)
    assert "Version publiée" in page.content.decode()
    from parcours.records.models import RecordForm

    form = RecordForm.objects.get(title="Sortie")
    version = form.versions.get()
    assert version.status == "active"
    assert version.definition[0]["items"][2]["enableWhen"][0]["question"] == "motif"


def test_a_member_who_is_not_coordinator_cannot_manage(net, client):
    client.force_login(net.nurse)
    assert client.get(reverse("records:network", args=[net.network.pk])).status_code == 200
    assert (
        client.post(
            reverse("records:network", args=[net.network.pk]), {"op": "form", "title": "X"}
        ).status_code
        == 404
    )
    assert client.get(reverse("records:visibility", args=[net.record.pk])).status_code == 404


def test_the_coordinator_sees_who_could_see_each_section(net, client):
    client.force_login(net.coord)
    page = client.get(reverse("records:visibility", args=[net.record.pk]))
    assert page.status_code == 200
    assert "Social" in page.content.decode()


def test_withdrawing_consent_on_the_page_closes_the_record(net, client):
    client.force_login(net.coord)
    client.post(
        reverse("records:record", args=[net.record.pk]), {"op": "withdraw", "reason": "Refus"}
    )
    for user in (net.coord, net.nurse):
        client.force_login(user)
        assert client.get(reverse("records:record", args=[net.record.pk])).status_code == 404


def test_a_network_member_without_another_role_lands_on_the_network_records(net, client):
    client.force_login(net.social)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("records:index")
