"""The record's services: consent first, rights per profile and section, versions, history."""

import pytest
from django.http import Http404

from parcours.audit.models import AuditEvent
from parcours.lib.errors import Conflict, Forbidden, Invalid
from parcours.records import selectors
from parcours.records.models import FormVersion, Response
from parcours.records.services import (
    consent_withdraw,
    draft_get_or_create,
    draft_save,
    response_migrate,
    response_save,
    version_publish,
)

SOCIAL = {"habitat": {"date_bilan": "2026-03-02", "type_habitat": "maison", "pieces": "3"}}
MEDICAL = {"visite": {"date_visite": "2026-03-03", "motif": "Chute à domicile"}}


def _version(net, code):
    return net.forms[code].versions.get(status="active")


def test_the_social_worker_writes_the_social_assessment_and_it_is_audited(net):
    response = response_save(
        actor=net.social, record=net.record, version=_version(net, "bilan-social"), answers=SOCIAL
    )
    assert response.answers["habitat"]["pieces"] == 3
    assert response.revisions.count() == 1
    event = AuditEvent.objects.filter(object_type="response", object_id=str(response.pk)).get()
    assert event.patient_id == net.patient.pk and event.user == net.social


def test_the_social_worker_cannot_write_the_medical_follow_up(net):
    with pytest.raises(Forbidden):
        response_save(
            actor=net.social,
            record=net.record,
            version=_version(net, "suivi-medecin"),
            answers=MEDICAL,
        )
    assert not Response.objects.exists()


def test_the_social_worker_does_not_learn_that_a_medical_follow_up_exists(net):
    medical = response_save(
        actor=net.t.gp, record=net.record, version=_version(net, "suivi-medecin"), answers=MEDICAL
    )
    page = selectors.record_page(user=net.social, record=net.record)
    assert all(f["form"].code != "suivi-medecin" for f in page["forms"])
    with pytest.raises(Http404):
        selectors.response_view(user=net.social, response_id=medical.pk)


def test_a_reader_sees_only_the_sections_of_their_profile(net):
    version = _version(net, "bilan-social")
    # The nurse reads the social assessment but has no right on the family section any more.
    from parcours.records.services import right_set

    right_set(
        actor=net.coord,
        form=net.forms["bilan-social"],
        section="entourage",
        profile=net.p["infirmier"],
        level="none",
    )
    answers = dict(SOCIAL, entourage={"contacts": [{"contact_nom": "Fils"}]})
    response = response_save(actor=net.social, record=net.record, version=version, answers=answers)
    view = selectors.response_view(user=net.nurse, response_id=response.pk)
    assert set(view["answers"]) == {"habitat"}


def test_a_writer_never_erases_the_sections_they_cannot_see(net):
    version = _version(net, "grille")
    grid = {i["linkId"]: "A" for i in version.definition[0]["items"] if i["type"] == "choice"}
    grid["date_eval"] = "2026-03-02"
    response = response_save(
        actor=net.nurse, record=net.record, version=version, answers={"grille": grid}
    )
    assert response.answers["grille"]["niveau"]["level"] == "Niveau 6 (autonome)"
    with pytest.raises(Forbidden):
        response_save(
            actor=net.social, record=net.record, version=version, answers={}, response=response
        )


def test_a_stale_edit_is_refused_rather_than_overwriting_a_colleague(net):
    version = _version(net, "bilan-social")
    response = response_save(actor=net.social, record=net.record, version=version, answers=SOCIAL)
    response_save(
        actor=net.coord,
        record=net.record,
        version=version,
        answers={"habitat": dict(SOCIAL["habitat"], pieces="4")},
        response=response,
        expected_revision=1,
    )
    with pytest.raises(Conflict):
        response_save(
            actor=net.social,
            record=net.record,
            version=version,
            answers={"habitat": dict(SOCIAL["habitat"], pieces="5")},
            response=response,
            expected_revision=1,
        )
    response.refresh_from_db()
    assert response.answers["habitat"]["pieces"] == 4 and response.revisions.count() == 2


def test_invalid_answers_are_refused_with_the_item_named_and_nothing_is_written(net):
    with pytest.raises(Invalid) as refused:
        response_save(
            actor=net.social,
            record=net.record,
            version=_version(net, "bilan-social"),
            answers={"habitat": {"type_habitat": "maison", "pieces": "99"}},
        )
    assert "Date du bilan" in str(refused.value) and "Nombre de pièces" in str(refused.value)
    assert not Response.objects.exists()


def test_editing_a_published_form_makes_a_draft_and_old_responses_keep_their_version(net):
    form = net.forms["bilan-social"]
    v1 = _version(net, "bilan-social")
    response = response_save(actor=net.social, record=net.record, version=v1, answers=SOCIAL)
    draft = draft_get_or_create(actor=net.coord, form=form)
    assert draft.number == 2 and draft.status == "draft"
    definition = draft.definition
    definition[0]["items"] = [i for i in definition[0]["items"] if i["linkId"] != "pieces"]
    definition[0]["items"].append(
        {"linkId": "animaux", "text": "Animaux", "type": "boolean", "required": True}
    )
    draft_save(actor=net.coord, version=draft, definition=definition)
    version_publish(actor=net.coord, version=draft)
    v1.refresh_from_db()
    assert v1.status == "retired" and v1.definition == response.version.definition
    with pytest.raises(Conflict):
        draft_save(actor=net.coord, version=v1, definition=[])
    view = selectors.response_view(user=net.social, response_id=response.pk)
    assert view["version"] == v1 and view["answers"]["habitat"]["pieces"] == 3
    # Migrating is explicit and refused while the new required item is unanswered.
    with pytest.raises(Invalid) as refused:
        response_migrate(actor=net.coord, response=response, version=draft)
    assert "Animaux" in str(refused.value)
    response.refresh_from_db()
    assert response.version == v1


def test_withdrawing_consent_closes_the_record_at_once_for_everyone(net):
    response = response_save(
        actor=net.social, record=net.record, version=_version(net, "bilan-social"), answers=SOCIAL
    )
    consent_withdraw(actor=net.coord, record=net.record, reason="Demande de la patiente")
    for user in (net.social, net.coord, net.nurse):
        with pytest.raises(Http404):
            selectors.response_view(user=user, response_id=response.pk)
        assert not selectors.records_for(user=user).exists()


def test_who_could_see_a_section_on_a_date_is_answered_from_history(net, time_machine):
    from django.utils import timezone

    from parcours.records.services import circle_remove, right_set

    before = timezone.now()
    time_machine.move_to(before + __import__("datetime").timedelta(days=1))
    right_set(
        actor=net.coord,
        form=net.forms["bilan-social"],
        section="habitat",
        profile=net.p["infirmier"],
        level="none",
    )
    circle_remove(actor=net.coord, record=net.record, user=net.social)
    then = selectors.who_could_see(
        record=net.record, form=net.forms["bilan-social"], section="habitat", at=before
    )
    now = selectors.who_could_see(
        record=net.record, form=net.forms["bilan-social"], section="habitat", at=timezone.now()
    )
    assert {u.username for u, _level in then} == {"coord", "social", "nurse", "gp"}
    assert {u.username for u, _level in now} == {"coord", "gp"}


def test_only_the_coordinator_publishes_and_sets_rights(net):
    draft = draft_get_or_create(actor=net.coord, form=net.forms["grille"])
    with pytest.raises(Forbidden):
        version_publish(actor=net.nurse, version=draft)
    assert FormVersion.objects.get(pk=draft.pk).status == "draft"


def test_a_new_consent_cannot_be_backdated_into_the_time_the_record_was_closed(net, time_machine):
    from datetime import timedelta

    from django.utils import timezone

    from parcours.records.services import consent_record

    opened = timezone.now()
    time_machine.move_to(opened + timedelta(days=10))
    consent_withdraw(actor=net.coord, record=net.record, reason="Demande de la patiente")
    withdrawn = timezone.now()
    time_machine.move_to(withdrawn + timedelta(days=10))
    with pytest.raises(Invalid) as refused:
        consent_record(
            actor=net.coord,
            record=net.record,
            method="oral",
            scope="Dossier du réseau",
            collected_at=withdrawn - timedelta(days=5),
        )
    assert refused.value.field == "collected_at"
    # "Who could see it while closed?" stays: no one.
    during = withdrawn + timedelta(days=2)
    section = selectors.who_could_see(
        record=net.record, form=net.forms["bilan-social"], section="habitat", at=during
    )
    assert section == []


def test_the_history_does_not_show_a_reader_the_edits_of_sections_they_cannot_read(net):
    from parcours.records.services import right_set

    right_set(
        actor=net.coord,
        form=net.forms["bilan-social"],
        section="entourage",
        profile=net.p["infirmier"],
        level="none",
    )
    version = _version(net, "bilan-social")
    response = response_save(actor=net.social, record=net.record, version=version, answers=SOCIAL)
    family = dict(SOCIAL, entourage={"contacts": [{"contact_nom": "Fils"}]})
    response_save(
        actor=net.social, record=net.record, version=version, answers=family, response=response
    )
    nurse = selectors.response_view(user=net.nurse, response_id=response.pk)
    social = selectors.response_view(user=net.social, response_id=response.pk)
    assert [r.number for r in nurse["revisions"]] == [1]
    assert [r.number for r in social["revisions"]] == [2, 1]


def test_a_draft_whose_shape_is_broken_is_refused_so_the_builder_still_opens(net):
    draft = draft_get_or_create(actor=net.coord, form=net.forms["grille"])
    with pytest.raises(Invalid) as refused:
        draft_save(
            actor=net.coord,
            version=draft,
            definition=[{"linkId": "a", "type": "group", "items": ["texte libre"]}],
        )
    assert "liste d'objets" in str(refused.value)
    assert FormVersion.objects.get(pk=draft.pk).definition == draft.definition
