"""Who sees what in the collaborative spaces — the only place of the rule.

- A space (name, presentation) is listed to every active account, except a space « sur
  invitation » which only its members and the people invited or asking see.
- A page or an event by its ``visibility`` (``models.Visibility``): « tous les comptes » to
  every account, « membres » to the space's active members, « brouillon » to its author (still
  a member) and the space's owners and moderators. A forum is for members only.
- Writing: an active member creates and edits pages, entries, events and posts; owners and
  moderators publish to all accounts, answer requests, invite, hide posts, close topics, break
  a check-out — without being site administrators (issue 19).

Missing and forbidden give the same 404 (conventions: one access layer).
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Event, Page, Post, Space, SpaceChange, SpaceMember, Topic, Visibility


def _active_space_ids(user) -> QuerySet:
    return SpaceMember.objects.filter(user=user, state=SpaceMember.State.ACTIVE).values("space_id")


def _moderated_space_ids(user) -> QuerySet:
    return SpaceMember.objects.filter(
        user=user,
        state=SpaceMember.State.ACTIVE,
        role__in=[SpaceMember.Role.OWNER, SpaceMember.Role.MODERATOR],
    ).values("space_id")


def membership_now(user, space: Space) -> SpaceMember | None:
    """The user's row in ``space`` read now (no cache): what the services decide on."""
    if not user.is_authenticated:
        return None
    return SpaceMember.objects.filter(space=space, user=user).first()


def my_membership(user, space: Space) -> SpaceMember | None:
    """The user's row in ``space`` (any state), or None; cached on the space object for the
    rest of the request (pages ask several times). Services use ``membership_now``."""
    cache = getattr(space, "_member_cache", None)
    if cache is None:
        cache = {}
        space._member_cache = cache  # type: ignore[attr-defined]  # a per-request cache
    if user.pk not in cache:
        cache[user.pk] = (
            SpaceMember.objects.filter(space=space, user=user).first()
            if user.is_authenticated
            else None
        )
    return cache[user.pk]


def is_member(user, space: Space) -> bool:
    """Whether ``user`` is an active member of ``space``."""
    me = my_membership(user, space)
    return me is not None and me.state == SpaceMember.State.ACTIVE


def moderates(user, space: Space) -> bool:
    """Whether ``user`` is an active owner or moderator of ``space``."""
    me = my_membership(user, space)
    return me is not None and me.moderates


def is_owner(user, space: Space) -> bool:
    me = my_membership(user, space)
    return me is not None and me.moderates and me.role == SpaceMember.Role.OWNER


def space_queryset_for(user) -> QuerySet[Space]:
    """The spaces ``user`` may see listed (an inactive or anonymous user: none)."""
    if not user.is_authenticated or not user.is_active:
        return Space.objects.none()
    return Space.objects.filter(
        ~Q(policy=Space.Policy.INVITATION)
        | Q(pk__in=SpaceMember.objects.filter(user=user).values("space_id"))
    )


def access_space(user, space_id) -> Space:
    """The space, or Http404 when it is missing or not listed to ``user``."""
    try:
        return space_queryset_for(user).get(pk=space_id)
    except (Space.DoesNotExist, ValueError, TypeError):
        raise Http404("Espace introuvable") from None


def visible_condition(user, *, author_field: str = "created_by") -> Q:
    """The condition on a page or an event (fields ``space``, ``visibility`` and the author
    field) that ``user`` may see it."""
    return (
        Q(visibility=Visibility.ACCOUNTS)
        | Q(visibility=Visibility.MEMBERS, space_id__in=_active_space_ids(user))
        | Q(
            visibility=Visibility.DRAFT,
            space_id__in=_active_space_ids(user),
            **{author_field: user},
        )
        | Q(space_id__in=_moderated_space_ids(user))
    )


def page_queryset_for(user) -> QuerySet[Page]:
    if not user.is_authenticated or not user.is_active:
        return Page.objects.none()
    return Page.objects.filter(visible_condition(user))


def access_page(user, space_id, page_id) -> Page:
    """The page of that space, or Http404 when missing or not visible to ``user``."""
    try:
        return (
            page_queryset_for(user)
            .select_related("space", "folder", "locked_by", "created_by")
            .get(pk=page_id, space_id=space_id)
        )
    except (Page.DoesNotExist, ValueError, TypeError):
        raise Http404("Page introuvable") from None


def event_queryset_for(user) -> QuerySet[Event]:
    if not user.is_authenticated or not user.is_active:
        return Event.objects.none()
    return Event.objects.filter(visible_condition(user))


def topic_queryset_for(user) -> QuerySet[Topic]:
    if not user.is_authenticated or not user.is_active:
        return Topic.objects.none()
    return Topic.objects.filter(space_id__in=_active_space_ids(user))


def access_topic(user, space_id, topic_id) -> Topic:
    try:
        return (
            topic_queryset_for(user)
            .select_related("space", "created_by")
            .get(pk=topic_id, space_id=space_id)
        )
    except (Topic.DoesNotExist, ValueError, TypeError):
        raise Http404("Sujet introuvable") from None


def access_post(user, space_id, post_id) -> Post:
    try:
        return Post.objects.select_related("topic__space").get(
            pk=post_id, topic__space_id=space_id, topic__in=topic_queryset_for(user)
        )
    except (Post.DoesNotExist, ValueError, TypeError):
        raise Http404("Message introuvable") from None


def change_queryset_for(user) -> QuerySet[SpaceChange]:
    """The « modifications récentes » lines ``user`` may read: a line about a page, an event
    or a topic follows that object's visibility; a line about the space or its members is
    for its members."""
    if not user.is_authenticated or not user.is_active:
        return SpaceChange.objects.none()
    members = _active_space_ids(user)
    return SpaceChange.objects.filter(
        (Q(page__isnull=True) | Q(page__in=page_queryset_for(user)))
        & (Q(event__isnull=True) | Q(event__in=event_queryset_for(user)))
        & (Q(topic__isnull=True) | Q(space_id__in=members))
        & (
            Q(page__isnull=False)
            | Q(event__isnull=False)
            | Q(topic__isnull=False)
            | Q(space_id__in=members)
        )
    )


def can_create_space(user) -> bool:
    """Any active account with a role in an organisation (not a bare account)."""
    return bool(user.is_authenticated and user.is_active and user.memberships.exists())
