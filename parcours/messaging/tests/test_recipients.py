"""Issue 14 on the secure mailbox: MSSanté-only external recipients (bug 8), the recipient
search as you type, the sender never her own recipient, the live thread (bug 7), and the
directory cards' « Écrire » / « Adresser un patient » buttons (bug 4)."""

import pytest
from django.test import override_settings
from django.urls import reverse

from parcours.directory.models import Organisation, Practitioner, PractitionerRole
from parcours.directory.mssante import check_external, domain_is_secure, is_secure_address
from parcours.messaging.models import Message, OutboundMail
from parcours.messaging.services import message_send

pytestmark = pytest.mark.django_db

ROLES = ["gp", "gp2", "desk", "doctor", "pneumo", "head", "admin", "cell"]


@pytest.fixture
def lebrun(territory):
    """A directory practitioner outside Parcours, reachable by MSSanté only."""
    cabinet = Organisation.objects.create(
        name="Cabinet du Vieux Château", kind="cabinet", town="Château-Gontier", postcode="53200"
    )
    p = Practitioner.objects.create(
        last_name="Lebrun",
        first_name="Agathe",
        specialty="Cardiologie",
        email="agathe.lebrun@gmail.example",
        mssante="agathe.lebrun@medecin.mssante.fr",
    )
    PractitionerRole.objects.create(practitioner=p, organisation=cabinet)
    return p


# --- bug 8: secure domains ---------------------------------------------------------------------


@override_settings(MSSANTE_DOMAINS=["*.mssante.fr", "ght53.fr"])
def test_secure_domains_accept_subdomains_and_exact_names_only():
    assert domain_is_secure("medecin.mssante.fr")
    assert domain_is_secure("CH-Laval.MSSANTE.fr")
    assert domain_is_secure("ght53.fr")
    assert not domain_is_secure("mssante.fr")
    assert not domain_is_secure("evilmssante.fr")
    assert not domain_is_secure("mssante.fr.example.com")
    assert not domain_is_secure("gmail.com")
    assert not domain_is_secure("sub.ght53.fr")
    assert is_secure_address("dr.x@medecin.mssante.fr")
    assert not is_secure_address("pas une adresse@medecin.mssante.fr")


def test_compose_refuses_a_gmail_address_in_french_and_sends_nothing(territory, login):
    response = login(territory.gp).post(
        reverse("messaging:compose"),
        {"external": "dr.durand@gmail.com", "subject": "Avis", "body": "Bonjour"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "n&#x27;est pas une adresse de messagerie sécurisée de santé (MSSanté)" in html
        or "n'est pas une adresse de messagerie sécurisée de santé (MSSanté)" in html
    )
    assert "mssante.fr" in html
    assert not Message.objects.exists() and not OutboundMail.objects.exists()


def test_refusal_suggests_the_directory_secure_address(lebrun):
    with pytest.raises(Exception) as err:
        check_external("Agathe.Lebrun@gmail.example")
    assert "agathe.lebrun@medecin.mssante.fr" in err.value.messages[0]


def test_compose_sends_to_an_mssante_address(territory, login):
    response = login(territory.gp).post(
        reverse("messaging:compose"),
        {"external": "Dr.Durand@Medecin.MSSante.fr", "subject": "Avis", "body": "Bonjour"},
    )
    assert response.status_code == 302
    assert Message.objects.get().external_to == ["dr.durand@medecin.mssante.fr"]
    assert OutboundMail.objects.get().to_address == "dr.durand@medecin.mssante.fr"


@override_settings(MSSANTE_DOMAINS=["*.mssante.fr"])
def test_the_service_refuses_outside_domains_whatever_the_caller(territory):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="MSSanté"):
        message_send(
            sender=territory.gp, subject="x", body="y", external=["dr.a@cabinet.mssante.invalid"]
        )
    assert not Message.objects.exists()


# --- the sender is not her own recipient -------------------------------------------------------


def test_compose_does_not_offer_the_sender_herself(territory, login):
    form = login(territory.gp).get(reverse("messaging:compose")).context["form"]
    offered = set(form.fields["to"].queryset.values_list("pk", flat=True))
    assert territory.doctor.pk in offered and territory.gp.pk not in offered
    assert territory.gp.pk not in set(form.fields["cc"].queryset.values_list("pk", flat=True))


def test_posting_oneself_as_recipient_is_refused(territory, login):
    response = login(territory.gp).post(
        reverse("messaging:compose"), {"to": [territory.gp.pk], "subject": "Moi", "body": "Bonjour"}
    )
    assert response.status_code == 400
    assert not Message.objects.exists()


def test_the_service_refuses_the_sender_as_recipient(territory):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="propre message"):
        message_send(
            sender=territory.gp, subject="x", body="y", cc=[territory.gp], to=[territory.doctor]
        )


# --- recipient search as you type --------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_professional_searches_recipients_but_never_finds_herself(territory, login, role):
    me = getattr(territory, role)
    response = login(me).get(reverse("messaging:recipients"), {"q": "ch alpha"})
    assert response.status_code == 200
    ids = [r["id"] for r in response.json()["results"] if r["type"] == "user"]
    assert me.pk not in ids
    # Alpha's staff are found by their organisation's name.
    assert {territory.doctor.pk, territory.desk.pk} - {me.pk} <= set(ids)


def test_recipient_search_needs_a_professional_role(territory, login, client):
    assert (
        login(territory.nobody).get(reverse("messaging:recipients"), {"q": "doc"}).status_code
        == 403
    )
    client.logout()
    assert client.get(reverse("messaging:recipients"), {"q": "doc"}).status_code == 302


def test_recipient_search_by_name_folded_and_by_service(territory, login):
    territory.doctor.last_name = "Lefèvre"
    territory.doctor.save()
    c = login(territory.gp)
    for q in ("lefevre", "LEFÈVRE", "lefevr", "cardiologie"):
        results = c.get(reverse("messaging:recipients"), {"q": q}).json()["results"]
        assert territory.doctor.pk in [r.get("id") for r in results], q
    doctor = next(r for r in results if r.get("id") == territory.doctor.pk)
    assert "Cardiologie" in doctor["detail"] and "CH Alpha" in doctor["detail"]


def test_recipient_search_finds_directory_mssante_addresses(territory, login, lebrun):
    c = login(territory.gp)
    for q in ("lebrun", "Agathe Lebrun", "agathe.lebrun@med", "agathe.leb", "vieux chateau"):
        results = c.get(reverse("messaging:recipients"), {"q": q}).json()["results"]
        assert {
            "type": "external",
            "address": "agathe.lebrun@medecin.mssante.fr",
        }.items() <= results[0].items(), q


def test_recipient_search_says_why_a_gmail_address_is_refused(territory, login):
    data = (
        login(territory.gp).get(reverse("messaging:recipients"), {"q": "someone@gmail.com"}).json()
    )
    assert data["results"] == []
    assert "MSSanté" in data["notice"]
    typed = (
        login(territory.gp)
        .get(reverse("messaging:recipients"), {"q": "dr.x@medecin.mssante.fr"})
        .json()
    )
    assert typed["results"][0]["address"] == "dr.x@medecin.mssante.fr"


def test_recipient_search_is_short_and_bounded(territory, login):
    from parcours.accounts.models import Membership, Role, User

    for i in range(15):
        u = User.objects.create_user(username=f"gpx{i}", first_name="Camille", last_name=f"Test{i}")
        Membership.objects.create(user=u, organisation=territory.msp1, role=Role.GP)
    c = login(territory.doctor)
    assert c.get(reverse("messaging:recipients"), {"q": "c"}).json()["results"] == []
    assert len(c.get(reverse("messaging:recipients"), {"q": "camille"}).json()["results"]) == 10


def test_compose_page_carries_the_picker_without_inline_script(territory, login):
    html = login(territory.gp).get(reverse("messaging:compose")).content.decode()
    assert f'data-recipient-search="{reverse("messaging:recipients")}"' in html
    assert "parcours/recipients.js" in html
    assert "<script>" not in html


def test_compose_prefills_an_external_address(territory, login):
    html = (
        login(territory.gp)
        .get(reverse("messaging:compose"), {"external": "x@medecin.mssante.fr"})
        .content.decode()
    )
    assert 'value="x@medecin.mssante.fr"' in html


# --- bug 7: the thread page refreshes live ------------------------------------------------------


def test_thread_page_declares_a_live_fragment_that_shows_new_messages(territory, login):
    first = message_send(
        sender=territory.gp, subject="Suivi", body="Premier message", to=[territory.doctor]
    )
    c = login(territory.doctor)
    url = reverse("messaging:thread", args=[first.thread_id])
    html = c.get(url).content.decode()
    assert f'data-live-url="{url}?fragment=1"' in html
    message_send(
        sender=territory.gp, body="Deuxième message", to=[territory.doctor], reply_to=first.thread
    )
    fragment = c.get(url, {"fragment": "1"})
    text = fragment.content.decode()
    assert fragment.status_code == 200
    assert "Premier message" in text and "Deuxième message" in text
    assert "<html" not in text and "Répondre" not in text


def test_thread_fragment_is_for_participants_only(territory, login):
    first = message_send(sender=territory.gp, subject="Suivi", body="Secret", to=[territory.doctor])
    url = reverse("messaging:thread", args=[first.thread_id])
    assert login(territory.gp2).get(url, {"fragment": "1"}).status_code == 404


# --- bug 4: directory cards ------------------------------------------------------------------


def test_service_card_refers_with_the_service_and_writes_to_its_head(territory, login):
    html = (
        login(territory.gp)
        .get(reverse("directory:service", args=[territory.cardio.pk]))
        .content.decode()
    )
    assert f'href="{reverse("referrals:new")}?service={territory.cardio.pk}"' in html
    assert f'href="{reverse("messaging:compose")}?to={territory.head.pk}"' in html


@pytest.mark.parametrize("role", ["desk", "doctor", "admin"])
def test_only_gps_get_the_refer_button(territory, login, role):
    html = (
        login(getattr(territory, role))
        .get(reverse("directory:service", args=[territory.cardio.pk]))
        .content.decode()
    )
    assert "Adresser un patient" not in html
    assert "Écrire" in html


def test_the_head_is_not_offered_to_write_to_herself(territory, login):
    html = (
        login(territory.head)
        .get(reverse("directory:service", args=[territory.cardio.pk]))
        .content.decode()
    )
    assert f"?to={territory.head.pk}" not in html


def test_practitioner_card_writes_to_the_user_or_the_mssante_address(territory, login, lebrun):
    c = login(territory.gp)
    html = c.get(reverse("directory:practitioner", args=[lebrun.pk])).content.decode()
    assert "?external=agathe.lebrun%40medecin.mssante.fr" in html
    linked = Practitioner.objects.create(last_name="Doc", first_name="Jean", user=territory.doctor)
    PractitionerRole.objects.create(
        practitioner=linked, organisation=territory.alpha, service=territory.cardio
    )
    html = c.get(reverse("directory:practitioner", args=[linked.pk])).content.decode()
    assert f"?to={territory.doctor.pk}" in html
    assert f"{reverse('referrals:new')}?service={territory.cardio.pk}" in html


def test_no_write_button_for_a_gmail_only_practitioner_nor_for_non_professionals(territory, login):
    p = Practitioner.objects.create(
        last_name="Sansmss", first_name="Paul", email="paul@gmail.example"
    )
    html = login(territory.gp).get(reverse("directory:practitioner", args=[p.pk])).content.decode()
    assert "nouveau/?" not in html
    html = (
        login(territory.nobody)
        .get(reverse("directory:service", args=[territory.cardio.pk]))
        .content.decode()
    )
    assert "nouveau/?" not in html


def test_recipient_search_with_control_characters_answers_nothing_rather_than_failing(
    territory, login
):
    """A NUL byte in the query reached PostgreSQL (which refuses it in text: a 500)."""
    c = login(territory.gp)
    for q in ["a\x00b", "\x00\x00", "do\x00c@x.fr"]:
        response = c.get(reverse("messaging:recipients"), {"q": q})
        assert response.status_code == 200
        assert response.json()["results"] == [] or all(
            "\x00" not in r["label"] for r in response.json()["results"]
        )


def test_a_thread_with_a_legacy_non_mssante_recipient_can_still_be_answered(territory, login):
    """A conversation started before the MSSanté-only rule (or before a domain left
    MSSANTE_DOMAINS) holds an address now refused: replying failed for everyone, the
    Parcours participants included. The reply goes to the others and says who is left out."""
    first = message_send(
        sender=territory.gp,
        subject="Suivi",
        body="Premier message",
        to=[territory.doctor],
        external=["dr.a@cabinet.mssante.fr"],
    )
    Message.objects.filter(pk=first.pk).update(
        external_to=["dr.a@cabinet.mssante.fr", "dr.durand@gmail.com"]
    )  # legacy data
    c = login(territory.doctor)
    url = reverse("messaging:thread", args=[first.thread_id])
    response = c.post(url, {"body": "Réponse du cardiologue"}, follow=True)
    assert response.redirect_chain and response.status_code == 200
    html = response.content.decode()
    assert "dr.durand@gmail.com" in html and "MSSanté" in html
    reply = Message.objects.exclude(pk=first.pk).get()
    assert reply.external_to == ["dr.a@cabinet.mssante.fr"]
    assert list(
        OutboundMail.objects.filter(message=reply).values_list("to_address", flat=True)
    ) == ["dr.a@cabinet.mssante.fr"]


def test_a_message_about_a_patient_is_refused_to_non_clinical_roles(territory, patient):
    """The territory administration and the identitovigilance cell read no clinical content:
    a message about a patient cannot be sent to them, and nothing is written (review of
    issue 14)."""
    from django.core.exceptions import ValidationError

    from parcours.messaging.models import Message
    from parcours.messaging.services import message_send
    from parcours.patients.access import can_see_patient_data

    for outsider in (territory.admin, territory.cell):
        with pytest.raises(ValidationError, match="ne peut pas recevoir de message sur un"):
            message_send(
                sender=territory.gp,
                subject="Avis",
                body="INR à 5,2.",
                to=[territory.doctor, outsider],
                patient=patient,
            )
        assert not can_see_patient_data(outsider, patient)
    assert not Message.objects.exists()
    # Without a patient, writing to the administration stays possible.
    message_send(sender=territory.gp, subject="Compte", body="Mon accès ?", to=[territory.admin])
    assert Message.objects.count() == 1
