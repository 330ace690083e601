"""Two owners leaving (or demoting each other) at the same instant, on a real PostgreSQL:
the space always keeps an owner (its moderation must never be orphaned)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from parcours.core.tests.servers import postgres_only
from parcours.spaces import services
from parcours.spaces.models import Space, SpaceMember

pytestmark = [pytest.mark.postgres, postgres_only]

ROUNDS = 6


def _race(calls) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait()
            call()
            result = "done"
        except ValidationError:
            result = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def _two_owner_space(t, n):
    space = services.space_create(actor=t.gp, name=f"Espace course {n}", policy="open")
    SpaceMember.objects.create(
        space=space, user=t.desk, state=SpaceMember.State.ACTIVE, role=SpaceMember.Role.OWNER
    )
    return space


def _owners(space) -> int:
    return SpaceMember.objects.filter(
        space=space, role=SpaceMember.Role.OWNER, state=SpaceMember.State.ACTIVE
    ).count()


@pytest.mark.django_db(transaction=True)
def test_two_owners_leaving_at_once_leave_one_owner(territory):
    t = territory
    for n in range(ROUNDS):
        space = _two_owner_space(t, n)
        outcomes = _race(
            [
                lambda s=space: services.space_leave(actor=t.gp, space=s),
                lambda s=space: services.space_leave(actor=t.desk, space=s),
            ]
        )
        assert sorted(outcomes) == ["done", "refused"]
        assert _owners(Space.objects.get(pk=space.pk)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(territory):
    t = territory
    for n in range(ROUNDS):
        space = _two_owner_space(t, n)
        gp_row = SpaceMember.objects.get(space=space, user=t.gp)
        desk_row = SpaceMember.objects.get(space=space, user=t.desk)
        outcomes = _race(
            [
                lambda r=desk_row: services.member_decide(actor=t.gp, member=r, decision="member"),
                lambda r=gp_row: services.member_decide(actor=t.desk, member=r, decision="member"),
            ]
        )
        assert _owners(space) >= 1, outcomes
