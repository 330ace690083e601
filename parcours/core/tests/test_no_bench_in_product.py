"""Benchmark floors live in bench/, never in the product's URLconf or settings (issue 15)."""

import pytest
from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse


@pytest.mark.parametrize("name", ["bench_insert", "bench_patient_insert"])
def test_bench_routes_are_not_in_the_product(name):
    with pytest.raises(NoReverseMatch):
        reverse(name)


@pytest.mark.parametrize("path", ["/bench/insert/"])
def test_bench_paths_do_not_resolve(path):
    with pytest.raises(Resolver404):
        resolve(path)


def test_bench_fhir_insert_is_the_fhir_not_found(client):
    # /fhir/ ends with a catch-all: the old bench path is now an ordinary FHIR 404.
    response = client.post("/fhir/_bench/insert")
    assert response.status_code in (401, 404)
    assert "bench" not in settings.ROOT_URLCONF
