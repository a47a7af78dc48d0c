from django.urls import path

from outputs import views

app_name = "outputs"

urlpatterns = [
    path("setup/outputs/", views.output_list, name="output_list"),
    path("directory/", views.directory, name="directory"),
]
