"""Login pages: password (with the role policy and the second factor), Pro Santé Connect,
the practice of a PSC session, logout (the PSC session too when asked)."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import user_has_device

from parcours.lib.forms import add_service_error

from . import psc, services
from .forms import EnrolForm, PolicyAuthenticationForm, PracticeForm, SecondFactorForm
from .middleware import (
    SESSION_ENROLLED,
    SESSION_ID_TOKEN,
    SESSION_METHOD,
    SESSION_PRACTICE,
    SESSION_PRACTICES,
)
from .models import AuthMethod

_NEXT = "psc_next"
_ENROL_KEY = "otp_enrol_key"


def _verified(user: Any) -> bool:
    """django-otp's ``is_verified`` (set on the user by its middleware)."""
    return bool(user.is_verified())


def _safe_next(request: HttpRequest, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse(settings.LOGIN_REDIRECT_URL)


class PasswordLoginView(auth_views.LoginView):
    """Django's login view with the role policy; records the method in the session, and
    whether the person has a second factor to enter next (the middleware asks for it)."""

    form_class = PolicyAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session[SESSION_METHOD] = AuthMethod.PASSWORD
        self.request.session[SESSION_ENROLLED] = user_has_device(form.get_user())
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["psc_enabled"] = psc.enabled()
        return context


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """End the Parcours session; with ``psc=1`` (an explicit choice), the PSC session too."""
    id_token = request.session.get(SESSION_ID_TOKEN, "")
    was_psc = request.session.get(SESSION_METHOD) == AuthMethod.PSC
    logout(request)
    if was_psc and request.POST.get("psc") == "1" and psc.enabled():
        url = psc.end_session_url(id_token, request.build_absolute_uri(reverse("login")))
        if url:
            return redirect(url)
    return redirect(settings.LOGOUT_REDIRECT_URL)


def psc_start(request: HttpRequest) -> HttpResponse:
    """Send the browser to Pro Santé Connect (404 when PSC is not configured)."""
    if not psc.enabled():
        raise Http404
    request.session[_NEXT] = _safe_next(request, request.GET.get("next"))
    try:
        return psc.authorize_redirect(
            request, request.build_absolute_uri(reverse("accounts:psc_callback"))
        )
    except psc.PscError as exc:
        return render(request, "registration/psc_error.html", {"message": exc.message}, status=502)


def psc_callback(request: HttpRequest) -> HttpResponse:
    """PSC's redirect back: validate, find the account, open the session (or say why not)."""
    if not psc.enabled():
        raise Http404
    next_url = request.session.pop(_NEXT, None)
    try:
        claims, id_token = psc.complete_login(request)
    except psc.PscError as exc:
        return render(request, "registration/psc_error.html", {"message": exc.message}, status=403)
    identity = services.psc_login(claims=claims)
    user = identity.user
    if user is None or not user.is_active:
        return render(request, "registration/psc_unknown.html", {"identity": identity}, status=403)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_METHOD] = AuthMethod.PSC
    request.session[SESSION_ID_TOKEN] = id_token
    practices = [p.as_session() for p in claims.practices]
    if len(practices) == 1:
        request.session[SESSION_PRACTICE] = practices[0]
    elif practices:
        request.session[SESSION_PRACTICES] = practices
        request.session[_NEXT] = _safe_next(request, next_url)
        return redirect("accounts:psc_practice")
    return redirect(_safe_next(request, next_url))


@login_required
def psc_practice(request: HttpRequest) -> HttpResponse:
    """Choose the practice (« activité ») of this PSC session among those PSC listed."""
    practices = request.session.get(SESSION_PRACTICES) or []
    if request.session.get(SESSION_METHOD) != AuthMethod.PSC or not practices:
        raise Http404
    form = PracticeForm(request.POST or None, practices=practices)
    if request.method == "POST" and form.is_valid():
        chosen = next(p for p in practices if p["key"] == form.cleaned_data["practice"])
        request.session[SESSION_PRACTICE] = chosen
        return redirect(_safe_next(request, request.session.pop(_NEXT, None)))
    return render(request, "registration/psc_practice.html", {"form": form})


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Enter the authenticator's code (or a recovery code) after the password."""
    next_url = request.GET.get("next") or request.POST.get("next")
    user: Any = request.user
    if _verified(user):
        return redirect(_safe_next(request, next_url))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.second_factor_check(user=user, token=form.cleaned_data["token"])
        if device is not None:
            django_otp.login(request, device)
            request.session[SESSION_METHOD] = AuthMethod.PASSWORD_OTP
            if device.__class__.__name__ == "StaticDevice":
                messages.warning(
                    request,
                    _(
                        "Code de secours utilisé : il ne servira plus. "
                        "Pensez à en générer d'autres."
                    ),
                )
            return redirect(_safe_next(request, next_url))
        form.add_error(
            "token",
            _("Code incorrect ou expiré. Après une erreur, patientez quelques secondes."),
        )
    return render(
        request, "registration/second_factor.html", {"form": form, "next": next_url or ""}
    )


@login_required
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app (QR code and secret), then show the recovery codes once;
    for an enrolled person, renew the recovery codes (POST ``renew``)."""
    user: Any = request.user
    enrolled = request.session.get(SESSION_ENROLLED) or user_has_device(user)
    if request.method == "POST" and "renew" in request.POST:
        if not (enrolled and _verified(user)):
            raise Http404
        codes = services.recovery_codes_renew(user=user)
        return render(request, "registration/recovery_codes.html", {"codes": codes})
    key = request.session.get(_ENROL_KEY) or secrets.token_hex(20)
    request.session[_ENROL_KEY] = key
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.second_factor_enrol(
                user=user, key=key, token=form.cleaned_data["token"]
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            del request.session[_ENROL_KEY]
            device = user.totpdevice_set.get()
            django_otp.login(request, device)
            request.session[SESSION_ENROLLED] = True
            request.session[SESSION_METHOD] = AuthMethod.PASSWORD_OTP
            return render(request, "registration/recovery_codes.html", {"codes": codes})
    secret = _base32(key)
    uri = (
        f"otpauth://totp/{settings.OTP_TOTP_ISSUER}:{user.username}?secret={secret}"
        f"&issuer={settings.OTP_TOTP_ISSUER}&digits=6&period=30"
    )
    return render(
        request,
        "registration/second_factor_setup.html",
        {
            "form": form,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "qr": segno.make(uri, error="m").svg_data_uri(scale=4),
            "enrolled": enrolled and _verified(user),
        },
    )


def _base32(hex_key: str) -> str:
    return base64.b32encode(bytes.fromhex(hex_key)).decode().rstrip("=")
