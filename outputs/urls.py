from django.urls import path

from outputs import views

app_name = "outputs"

urlpatterns = [
    path("directory/", views.directory, name="directory"),
    path("directory/<slug:kind>/add/", views.configuration_create, name="configuration_create"),
    path("setup/outputs/", views.output_list, name="output_list"),
    path("setup/outputs/<int:pk>/", views.configuration_detail, name="configuration_detail"),
    path("setup/outputs/<int:pk>/edit/", views.configuration_edit, name="configuration_edit"),
    path("setup/outputs/<int:pk>/delete/", views.configuration_delete, name="configuration_delete"),
]
