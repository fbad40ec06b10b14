"""The application's URLs plus the baseline views the benchmarks compare against."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from bench import views
from config.urls import urlpatterns as application_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/baseline/", views.baseline, name="bench_baseline"),
    *application_urlpatterns,
]
