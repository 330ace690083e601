"""Issue 14, bug 7: the hospital side's open pages learn of every change of a request."""

from parcours.notifications.models import Notification
from parcours.referrals.services import (
    referral_acknowledge,
    referral_answer,
    referral_assign,
    referral_message_add,
    referral_redirect,
)


def _touched(referral, user, after=0):
    return Notification.objects.filter(referral=referral, user=user, id__gt=after).order_by("id")


def _last_id():
    return Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_desk_colleague_and_service_doctors_learn_of_the_acknowledgement(territory, make_referral):
    from conftest import _user
    from parcours.accounts.models import Membership, Role

    colleague = _user("desk2")
    Membership.objects.create(user=colleague, organisation=territory.alpha, role=Role.PATHWAY_DESK)
    referral = make_referral()
    mark = _last_id()
    referral_acknowledge(actor=territory.desk, referral=referral)
    for user in (colleague, territory.doctor, territory.head):
        last = _touched(referral, user, mark).last()
        assert last.kind == "referral_update", user
        # Neither a task nor an e-mail: read already, no e-mail wanted.
        assert last.read_at is not None and not last.email_wanted
        assert "prise en compte par Desk TEST" in last.title
    assert not _touched(referral, territory.desk, mark).exists()  # the actor
    assert not _touched(referral, territory.pneumo, mark).exists()  # another service


def test_assign_answer_and_message_reach_the_desk(territory, make_referral):
    referral = make_referral()
    mark = _last_id()
    referral_assign(actor=territory.desk, referral=referral, doctor=territory.doctor)
    # The assigned doctor gets the real notification, not a second silent one.
    assert list(_touched(referral, territory.doctor, mark).values_list("kind", flat=True)) == [
        "referral_assigned"
    ]
    referral_message_add(actor=territory.doctor, referral=referral, body="Créatinine ?")
    referral_answer(actor=territory.doctor, referral=referral, answer_kind="advice", text="ok")
    kinds = list(_touched(referral, territory.desk, mark).values_list("kind", flat=True))
    assert kinds.count("referral_update") == 2  # the message and the answer
    assert (
        Notification.objects.filter(
            user=territory.desk, read_at__isnull=True, kind="referral_update"
        ).count()
        == 0
    )


def test_a_redirect_reaches_the_old_and_the_new_service(territory, make_referral):
    referral = make_referral()
    mark = _last_id()
    referral_redirect(
        actor=territory.desk,
        referral=referral,
        service=territory.pneumo_svc,
        reason="Plutôt pulmonaire",
    )
    assert _touched(referral, territory.doctor, mark).filter(kind="referral_update").exists()
    assert _touched(referral, territory.pneumo, mark).filter(kind="referral_update").exists()
