"""Start-up checks of the audit trail's settings (``parcours serve`` runs them)."""

from django.core.checks import Error, register

from .sealing import verify_keys


@register("parcours")
def audit_keys_valid(app_configs=None, **kwargs) -> list[Error]:
    """AUDIT_SIGNING_KEY must be a base64 32-byte Ed25519 key and AUDIT_VERIFY_KEYS base64
    32-byte public keys: a malformed one would otherwise stop the sealer at its first batch."""
    try:
        verify_keys()
    except ValueError as exc:
        return [
            Error(
                f"Audit keys: {exc}.",
                hint="Make a signing key with `python -c 'import base64, os; "
                "print(base64.b64encode(os.urandom(32)).decode())'`.",
                id="parcours.E101",
            )
        ]
    return []
