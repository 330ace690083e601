"""The benchmark URLconf (bench/settings_bench.py): the product's routes plus the bare floors.

The bench routes come first: /fhir/ ends with a catch-all that would otherwise answer them."""

import bench_views
from django.urls import path

from parcours.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("bench/hello/", bench_views.hello, name="bench_hello"),
    path("bench/insert/", bench_views.bare_insert, name="bench_insert"),
    path("fhir/_bench/insert", bench_views.bare_patient_insert, name="bench_patient_insert"),
    *product_urlpatterns,
]
