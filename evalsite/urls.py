"""Root URLs: annotator, generation and report pages, the REST API and its schema."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.templatetags.static import static
from django.urls import include, path, register_converter
from django.views.defaults import page_not_found
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from reports.home_views import home

from .converters import IdConverter

# Before the apps' URLs are included: they use ``<id:...>`` for records' ids.
register_converter(IdConverter, "id")

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("generations/", include("generations.urls")),
    path("authoring/", include("generations.authoring_urls")),
    path("reports/", include("reports.urls")),
    path("judges/", include("judges.urls")),
    path("consistency/", include("consistency.urls")),
    path("api/", include("generations.api_urls")),
    path("api/", include("annotations.api_urls")),
    path("api/", include("judges.api_urls")),
    path("api/", include("consistency.api_urls")),
    path("api/", include("reports.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # The split view loads its start-up script from a URL: no inline script, so
        # the Content-Security-Policy needs no exception.
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="evalsite/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("evalsite/favicon.ico"), permanent=True),
    ),
    # The home of every role: the annotator's evaluations to rate, and the
    # researcher's table of every evaluation with its report's headline. It sits in
    # reports (the top of the import graph), since annotations may not read reports.
    path("", home, name="home"),
    path("", include("annotations.urls")),
]


def not_found(request, exception):
    """404: JSON under /api/ (as the API's own 404s), the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return page_not_found(request, exception)


handler404 = not_found
