"""Who may sign in how: the authentication policy per role (docs/authentication.md).

Three methods, strongest first: ``psc`` (Pro Santé Connect only: CPS card or e-CPS), ``otp``
(Pro Santé Connect, or password with a second factor), ``password`` (password alone allowed;
a person who enrolled a second factor is still asked for it). A person with several roles gets
the strictest of them. Sources: Référentiel d'authentification des acteurs de santé
(ANS, PGSSI-S): a professional's access to health data through a CPS/e-CPS or an equivalent
strong means; other staff at least a two-factor authentication.
"""

from __future__ import annotations

from django.conf import settings

from .models import Role, User

PSC = "psc"
OTP = "otp"
PASSWORD = "password"
_STRENGTH = {PASSWORD: 0, OTP: 1, PSC: 2}

# The named policies of AUTH_POLICY: role -> method; a role not listed gets "default".
POLICIES: dict[str, dict[str, str]] = {
    "strict": {
        Role.GP: PSC,
        Role.HOSPITAL_DOCTOR: PSC,
        Role.IMAGING: PSC,
        # The SMP's doctors are professionals with an RPPS like any GP (interns too: they
        # hold a CPS/e-CPS); its assistants and coordinators of networks use password + TOTP.
        Role.PROXIMITY_COORDINATOR: PSC,
        Role.RETIRED_GP: PSC,
        Role.INTERN: PSC,
        "default": OTP,
    },
    "otp": {"default": OTP},
    "relaxed": {"default": PASSWORD},
}


def method_for_role(role: str) -> str:
    """The sign-in method required for ``role`` under ``AUTH_POLICY`` and its per-role
    overrides (``AUTH_POLICY_ROLES``). Unknown policy names are read as "strict". "psc" becomes
    "otp" while Pro Santé Connect is not configured."""
    override = settings.AUTH_POLICY_ROLES.get(role)
    policy = POLICIES.get(settings.AUTH_POLICY, POLICIES["strict"])
    method = override if override in _STRENGTH else policy.get(role, policy["default"])
    if method == PSC and not (settings.PSC_ISSUER and settings.PSC_CLIENT_ID):
        # No PSC configured: nobody may be locked out; the next strongest method applies.
        return OTP
    return method


def required_method(user: User) -> str:
    """The strictest method of the user's roles ("psc", "otp" or "password"); an account with
    no role gets the policy's default."""
    roles = user.roles() or {"default"}
    methods = [method_for_role(role) for role in roles]
    return max(methods, key=_STRENGTH.__getitem__)


def may_use_password(user: User) -> bool:
    """False when the user's roles require Pro Santé Connect."""
    return required_method(user) != PSC
