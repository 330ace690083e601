"""The FHIR API against its own OpenAPI document (schemathesis, issue 13): requests generated
from the document, with a GP's token and without, never get a server error, and every answer
matches the document (status codes, content type, headers, body schema).

Not checked: that every schema-valid request is accepted (schemathesis' positive data
acceptance) — a FHIR search parameter is a free string in the document, and the server rightly
answers 400 to a date that is not a date; nor negative-data rejection, for the same reason."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from parcours.fhir.openapi import openapi_document

schema = schemathesis.openapi.from_dict(openapi_document("http://testserver/fhir/"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def gp_token(territory, patient, make_referral, token_for):
    make_referral()
    return token_for(territory.gp)


@pytest.fixture
def wsgi_app():
    """The WSGI application, called in the test's own transaction: like Django's test client,
    keep the end of each request from closing the database connection (the test's)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_and_answers_as_documented(case, gp_token, wsgi_app):
    app = wsgi_app
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {gp_token}"}, checks=CHECKS)
    case.call_and_validate(app=app, headers={}, checks=CHECKS)  # no token: 401, documented
