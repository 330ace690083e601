"""Writes on accounts: the administrator's bulk revocation of FHIR API tokens.

Issuing and revoking one's own token lives with the API (``parcours.fhir.tokens``); this module
holds what the accounts admin does on rows it owns."""

from collections.abc import Iterable

from django.utils import timezone

from parcours.lib.actions import action

from .models import ApiToken


@action
def api_tokens_revoke(*, token_ids: Iterable[int]) -> int:
    """Revoke the tokens of ``token_ids`` not revoked yet (revocation is final: ``revoked_at``
    is never edited back). Returns how many were revoked; one UPDATE."""
    return ApiToken.objects.filter(pk__in=list(token_ids), revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
