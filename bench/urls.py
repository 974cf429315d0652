"""The project's URLs plus ``/__bench__/hello/``: a bare Django view through the whole middleware
stack, the baseline the throughput benchmark divides by. Only ``bench.settings`` uses this module."""

from django.http import HttpResponse
from django.urls import path

from archive.urls import urlpatterns as project_urlpatterns


def hello(request):
    return HttpResponse(b"hello", content_type="text/plain")


urlpatterns = [path("__bench__/hello/", hello), *project_urlpatterns]
