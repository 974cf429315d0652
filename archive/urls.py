from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("catalog.annotation_urls")),  # annotations (issue 8): API and its stable ids
    path("", include("catalog.urls")),
]
