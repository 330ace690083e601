from django.urls import path, re_path

from . import oauth, views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("openapi.json", views.openapi, name="openapi"),
    # OAuth 2 client credentials for systems (fhir/oauth.py).
    path("oauth2/token", oauth.token_endpoint, name="oauth-token"),
    path("", views.transaction_endpoint, name="transaction"),
    re_path(r"^Patient/\$match/?$", views.patient_match, name="patient-match"),
    re_path(r"^Binary/(?P<pk>[^/]+)/?$", views.binary_endpoint, name="binary"),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]+)/?$", views.type_endpoint, name="type"),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]+)/(?P<pk>[^/]+)/?$",
        views.instance_endpoint,
        name="instance",
    ),
]

urlpatterns.append(re_path(r"^(?P<rest>.*)$", views.not_found))
