"""Opening an object marks its notifications read (issue 14): the request page, the
appointment, the message thread, the letter, the lab report… whichever page a notification
points to. One middleware rather than a call in every view: a notification stores the page it
leads to (``Notification.url``), so the rule is the same for every area."""

from .services import notifications_read_on_open


class ReadOnOpenMiddleware:
    """When a signed-in user opens a page (GET), mark read their unread notifications leading
    to that page, and — on a request's page — every notification about that request (its
    appointments' included). Done once the URL is resolved and before the view runs, so the
    page shown already counts them read (badge). The live re-fetches of an open page
    (``X-Requested-With: fetch``), the event stream and the API do not count: the user opened
    nothing."""

    SKIP_PREFIXES = ("/fhir/", "/notifications/flux/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if (
            request.method != "GET"
            or user is None
            or not user.is_authenticated
            or request.headers.get("X-Requested-With") == "fetch"
            or request.path.startswith(self.SKIP_PREFIXES)
        ):
            return None
        match = request.resolver_match
        referral_id = None
        if match is not None and match.view_name == "referrals:detail":
            referral_id = view_kwargs.get("pk")
        notifications_read_on_open(user=user, path=request.get_full_path(), referral_id=referral_id)
        return None
