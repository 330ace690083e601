"""Who may see and change what in the on-call rosters.

- **Read**: every person with a valid account sees every active roster, its shifts, overrides
  and history (issue 19: rosters are "available to every person with a valid account"; they
  name doctors and phone lines, no patient).
- **Manage** (generate, assign, override, publish, renew the feed): the roster's managers, the
  head of its hospital service, the territory administrator.
- **Take an open shift**: a doctor of the rota (``RosterMember``) with an account.
- **Ask a swap / offer a shift**: its holder; **answer a swap**: the doctor asked; **cancel**:
  the requester.
- Anything else is the same 404 as something that does not exist.
"""

from django.http import Http404

from parcours.accounts.scopes import is_territory_admin
from parcours.directory.models import Practitioner

from .models import Roster, Shift, Swap


def practitioner_of(user) -> Practitioner | None:
    """The directory practitioner linked to ``user``'s account, or None."""
    if not user.is_authenticated:
        return None
    return Practitioner.objects.filter(user=user).first()


def visible_rosters(user):
    """The rosters ``user`` may read: every active one for any account holder, else none."""
    if not user.is_authenticated or not user.is_active:
        return Roster.objects.none()
    return Roster.objects.filter(active=True)


def access_roster(user, roster_id) -> Roster:
    """The roster with that id if ``user`` may read it; raises Http404 otherwise."""
    try:
        return visible_rosters(user).select_related("service__hospital").get(pk=roster_id)
    except (Roster.DoesNotExist, ValueError, TypeError):
        raise Http404("Tableau introuvable") from None


def can_manage(user, roster: Roster) -> bool:
    """True if ``user`` runs ``roster`` (manager, head of its service, territory admin)."""
    if not user.is_authenticated:
        return False
    if is_territory_admin(user):
        return True
    if roster.service is not None and roster.service.head_id == user.pk:
        return True
    return roster.managers.filter(pk=user.pk).exists()


def access_roster_manage(user, roster_id) -> Roster:
    """The roster if ``user`` may manage it; Http404 otherwise (same as missing)."""
    roster = access_roster(user, roster_id)
    if not can_manage(user, roster):
        raise Http404("Tableau introuvable")
    return roster


def is_member(practitioner: Practitioner | None, roster: Roster) -> bool:
    """True if ``practitioner`` is one of the doctors of ``roster``'s rota."""
    return practitioner is not None and roster.members.filter(practitioner=practitioner).exists()


def access_shift(user, shift_id) -> Shift:
    """A shift of a roster ``user`` may read; Http404 otherwise."""
    try:
        return (
            Shift.objects.filter(roster__in=visible_rosters(user))
            .select_related("roster__service__hospital", "practitioner")
            .get(pk=shift_id)
        )
    except (Shift.DoesNotExist, ValueError, TypeError):
        raise Http404("Garde introuvable") from None


def access_swap(user, swap_id) -> Swap:
    """A swap ``user`` is party to (asked or asked of); Http404 otherwise."""
    me = practitioner_of(user)
    if me is None:
        raise Http404("Échange introuvable")
    try:
        swap = Swap.objects.select_related("shift__roster", "requester", "target").get(pk=swap_id)
    except (Swap.DoesNotExist, ValueError, TypeError):
        raise Http404("Échange introuvable") from None
    if me.pk not in (swap.requester_id, swap.target_id):
        raise Http404("Échange introuvable")
    return swap
