"""Request-scoped facts (client IP, channel) that the audit trail records.

They live in the audit app, which records them, so that the audit trail depends on no layer
above it (docs/architecture.md, layers)."""

import contextvars

_request_info: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "parcours_request_info", default=None
)


def current_request_info() -> dict:
    return _request_info.get() or {}


def set_request_info(**info) -> contextvars.Token:
    return _request_info.set(info)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith("/fhir/") else "web"
        token = _request_info.set({"ip": request.META.get("REMOTE_ADDR"), "channel": channel})
        try:
            return self.get_response(request)
        finally:
            _request_info.reset(token)
