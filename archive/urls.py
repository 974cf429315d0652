from django.contrib import admin
from django.urls import include, path

from catalog.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("catalog.opendata_urls")),
    path("", include("catalog.annotation_urls")),  # annotations (issue 8): API and its stable ids
    path("", include("catalog.urls")),
]
