from django.contrib import admin
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views import defaults

from config.api import api

admin.site.site_header = "OpenAudience administration"
admin.site.site_title = "OpenAudience"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    # Before audiences: the audience's Connect tab (audiences/<pk>/connect/) is served by connections.
    path("", include("connections.urls")),
    path("", include("audiences.urls")),
    path("", include("outputs.urls")),
    path("", api.urls),
]

API_PATHS = ("/platform/", "/v2/")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Requests Django refuses before any view runs (a Host header not in ALLOWED_HOSTS, say):
    the JSON APIs answer them in their own error shape, pages with Django's page."""
    if request.path.startswith(API_PATHS):
        if isinstance(exception, DisallowedHost):
            error = {"path": "Host", "message": "this server does not answer for that host name"}
        else:
            error = {"path": "$", "message": "the request could not be read"}
        return JsonResponse({"errors": [error]}, status=400)
    return defaults.bad_request(request, exception)


handler400 = bad_request
