"""Start-up checks (Django system checks, run by ``parcours serve`` before it serves and by
``manage.py check``): a deployment that would fail on its first page or first message is
refused at start instead, with the reason."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register


@register("parcours")
def static_files_collected(app_configs=None, **kwargs) -> list[Error]:
    """In production static files are served from STATIC_ROOT through WhiteNoise's manifest;
    without ``collectstatic`` every page answers 500 (issue 13)."""
    if not settings.PRODUCTION:
        return []
    manifest = settings.STATIC_ROOT / "staticfiles.json"
    if manifest.exists():
        return []
    return [
        Error(
            f"Static files are not collected: {manifest} is missing.",
            hint="Run `parcours collectstatic --no-input` (as part of each deployment).",
            id="parcours.E001",
        )
    ]


@register("parcours")
def messaging_keys_valid(app_configs=None, **kwargs) -> list[Error]:
    """Every key of MESSAGING_KEYS must be a Fernet key (32 url-safe base64-encoded bytes);
    a malformed one would otherwise fail on the first message sent or opened."""
    errors = []
    for position, key in enumerate(settings.MESSAGING_KEYS, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            errors.append(
                Error(
                    f"MESSAGING_KEYS: key number {position} is not a Fernet key.",
                    hint="Make one with `python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'`.",
                    id="parcours.E002",
                )
            )
    return errors
