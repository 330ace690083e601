"""The coordinator's pages: members, import of a Questionnaire, migration, consent again."""

import json

from django.urls import reverse

from parcours.records.models import FormVersion, Member, Response
from parcours.records.questionnaire import definition_to_items
from parcours.records.services import (
    draft_get_or_create,
    draft_save,
    response_save,
    version_publish,
)

SOCIAL = {"habitat": {"date_bilan": "2026-03-02", "type_habitat": "maison", "pieces": "3"}}


def test_the_coordinator_adds_a_member_by_username_and_changes_their_profile(net, client):
    client.force_login(net.coord)
    url = reverse("records:network", args=[net.network.pk])
    client.post(url, {"op": "member", "username": "gp2", "profile": net.p["infirmier"].pk})
    client.post(url, {"op": "member", "username": "gp2", "profile": net.p["medecin"].pk})
    rows = Member.objects.filter(network=net.network, user=net.t.gp2).order_by("since", "pk")
    assert [(m.profile.code, m.until is None) for m in rows] == [
        ("infirmier", False),
        ("medecin", True),
    ]
    page = client.post(
        url, {"op": "member", "username": "personne", "profile": net.p["medecin"].pk}
    )
    assert "Aucun compte actif à cet identifiant." in page.content.decode()


def test_a_questionnaire_imported_in_the_builder_replaces_the_draft(net, client):
    form = net.forms["grille"]
    draft = draft_get_or_create(actor=net.coord, form=form)
    resource = {
        "resourceType": "Questionnaire",
        "status": "draft",
        "item": [{"linkId": "q1", "text": "Question libre", "type": "string", "required": True}],
    }
    client.force_login(net.coord)
    client.post(
        reverse("records:builder", args=[form.pk]),
        {"op": "import", "questionnaire": json.dumps(resource)},
    )
    draft.refresh_from_db()
    assert draft.definition[0]["items"] == [
        {"linkId": "q1", "text": "Question libre", "type": "string", "required": True}
    ]
    assert definition_to_items(draft.definition)[0]["item"][0]["linkId"] == "q1"
    page = client.post(
        reverse("records:builder", args=[form.pk]),
        {"op": "import", "questionnaire": "{pas du json"},
        follow=True,
    )
    assert "JSON illisible." in page.content.decode()


def test_a_response_is_migrated_only_when_the_coordinator_asks(net, client):
    form = net.forms["bilan-social"]
    response = response_save(
        actor=net.social, record=net.record, version=form.versions.get(), answers=SOCIAL
    )
    draft = draft_get_or_create(actor=net.coord, form=form)
    definition = draft.definition
    definition[0]["items"].append({"linkId": "animaux", "text": "Animaux", "type": "boolean"})
    draft_save(actor=net.coord, version=draft, definition=definition)
    version_publish(actor=net.coord, version=draft)
    client.force_login(net.coord)
    page = client.get(reverse("records:response", args=[response.pk])).content.decode()
    assert "Migrer vers la version 2" in page
    assert Response.objects.get(pk=response.pk).version.number == 1
    client.post(reverse("records:migrate", args=[response.pk]))
    response.refresh_from_db()
    assert response.version.number == 2 and response.answers["habitat"]["pieces"] == 3
    assert response.revisions.latest("number").note == "migration v1 → v2"
    assert FormVersion.objects.get(form=form, number=1).status == "retired"


def test_after_a_withdrawal_only_a_new_consent_reopens_the_record(net, client):
    client.force_login(net.coord)
    record_url = reverse("records:record", args=[net.record.pk])
    client.post(record_url, {"op": "withdraw", "reason": "Refus du patient"})
    network_page = client.get(reverse("records:network", args=[net.network.pk])).content.decode()
    assert "Dossiers fermés (consentement retiré)" in network_page
    refused = client.post(reverse("records:consent", args=[net.record.pk]), {"method": "oral"})
    assert refused.status_code == 200 and client.get(record_url).status_code == 404
    client.post(
        reverse("records:consent", args=[net.record.pk]),
        {"method": "oral", "scope": "Partage du dossier dans le réseau"},
    )
    assert client.get(record_url).status_code == 200
    assert net.record.consents.count() == 2
