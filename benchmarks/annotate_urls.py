"""The project's URLs plus /bench/ping/, the trivial Django view the loop is compared to."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/ping/", ping),
    path("", include("evalsite.urls")),
]
