from django.urls import path

from connections import views

app_name = "connections"

urlpatterns = [
    path("audiences/<int:pk>/connect/", views.audience_connect, name="audience_connect"),
    path("audiences/<int:pk>/connect/new/", views.connection_create, name="connection_create"),
    path("audiences/<int:pk>/send/", views.standard_send, name="standard_send"),
    path("connections/<int:pk>/", views.connection_detail, name="connection_detail"),
    path("connections/<int:pk>/attributes/", views.connection_attributes, name="connection_attributes"),
    path("connections/<int:pk>/resume/", views.connection_resume, name="connection_resume"),
    path("connections/<int:pk>/delete/", views.connection_delete, name="connection_delete"),
    path("setup/outputs/<int:pk>/connect-audiences/", views.bulk_connect, name="bulk_connect"),
]
