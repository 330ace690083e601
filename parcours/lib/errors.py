"""The one error family services raise when they refuse something the user can act on.

``ServiceError`` carries a French message for the user, an optional ``field`` (the form field
or input the message is about) and a short ``code`` callers and tests may test. It subclasses
Django's ``ValidationError``, so ``except ValidationError`` sites and ``exc.messages`` /
``exc.message_dict`` keep working; with a ``field`` it is a one-field error dict, so a form
(``lib.forms.add_service_error``) or the API (``fhir.errors.from_service_error``) can point at it.

Subclasses exist only where the caller must react differently:

- ``Invalid``: bad input (form error; HTTP 422 in the API) — the default ``ServiceError`` too.
- ``Conflict``: someone was faster or the state changed since the page was shown (HTTP 409).
- ``Forbidden``: the action is not the user's to take (HTTP 403).

An app's own error (``scheduling.services.BookingError``, ``lib.uploads.UploadError``) is a
``ServiceError`` subclass; a ``code`` listed in ``CODE_KINDS`` (``"taken"``, ``"forbidden"``)
makes one of them a conflict or a refusal without a class of its own.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

INVALID = "invalid"
CONFLICT = "conflict"
FORBIDDEN = "forbidden"

# Codes that say more than "bad input" whatever the class raising them.
CODE_KINDS = {"taken": CONFLICT, "conflict": CONFLICT, "forbidden": FORBIDDEN}


class ServiceError(ValidationError):
    """A refusal from a service: French ``message``, optional ``field``, ``code``.

    Takes the message (already translated), ``field`` (a form/input field name or None for the
    whole action), ``code`` (a short machine name, "invalid" by default) and ``params``.
    """

    kind = INVALID

    def __init__(
        self,
        message: Any,
        *,
        field: str | None = None,
        code: str = "invalid",
        params: dict | None = None,
    ) -> None:
        if field:
            super().__init__({field: [ValidationError(message, code=code, params=params)]})
        else:
            super().__init__(message, code=code, params=params)
        self.message = message
        self.code = code
        self.params = params
        self.field = field
        self.kind = CODE_KINDS.get(code, type(self).kind)

    def __str__(self) -> str:
        return " ".join(str(m) for m in self.messages)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, field={self.field!r}, code={self.code!r})"


class Invalid(ServiceError):
    """Bad input: shown on the form, 422 in the API."""

    kind = INVALID


class Conflict(ServiceError):
    """Someone was faster or the state changed since the page was shown: 409 in the API."""

    kind = CONFLICT


class Forbidden(ServiceError):
    """The action is not the user's to take: 403 in the API."""

    kind = FORBIDDEN


def error_kind(exc: ValidationError) -> str:
    """The kind of a service refusal: takes a ServiceError or a plain ValidationError; returns
    "invalid", "conflict" or "forbidden" (a plain ValidationError is "invalid")."""
    if isinstance(exc, ServiceError):
        return exc.kind
    return INVALID
