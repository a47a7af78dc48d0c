from django.contrib import admin
from django.urls import include, path

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
