"""Web middleware of the site (the glue layer): the idle timeout of browser sessions.

The request facts the audit trail records (client IP, channel) are set by
``parcours.audit.context.RequestContextMiddleware``."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _


class IdleTimeoutMiddleware:
    """Signs out a browser session after ``SESSION_IDLE_MINUTES`` without a request made by
    the user (issue 13: a workstation left open in a consulting room). The open page's live
    updates (the event stream, re-fetches marked ``X-Requested-With: fetch``) do not count as
    activity. The time of the last activity is written at most once a minute, so an active
    user costs one session write a minute, not one per request. API tokens are not sessions
    and are not concerned."""

    STAMP = "_parcours_last_seen"
    WRITE_EVERY = 60  # seconds

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and hasattr(request, "session")
            and not request.path.startswith("/fhir/")
        ):
            now = int(time.time())
            last = request.session.get(self.STAMP)
            if last is not None and now - last > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                messages.info(
                    request, _("Session fermée après une période d'inactivité : reconnectez-vous.")
                )
            elif not self._passive(request) and (last is None or now - last >= self.WRITE_EVERY):
                request.session[self.STAMP] = now
        return self.get_response(request)

    @classmethod
    def stamp_login(cls, sender, request, user, **kwargs) -> None:
        """``user_logged_in`` receiver: the session starts active."""

        if request is not None and hasattr(request, "session"):
            request.session[cls.STAMP] = int(time.time())

    @staticmethod
    def _passive(request) -> bool:
        return (
            request.path.startswith("/notifications/flux/")
            or request.headers.get("X-Requested-With") == "fetch"
        )
