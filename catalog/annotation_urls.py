"""Addresses of the annotations API (``catalog.annotations_api``), included from ``archive/urls.py``."""

from django.urls import path

from . import annotations_api

app_name = "annotations"

urlpatterns = [
    path("api/letters/<slug:identifier>/<int:number>/annotations/", annotations_api.collection, name="collection"),
    path("api/annotations/<int:pk>/", annotations_api.annotation_detail, name="annotation"),
]
