from django.urls import path

from audiences.views import catalogue, inputs, pages, profiles

app_name = "audiences"

urlpatterns = [
    path("audiences/real-time/", pages.coming_soon, {"page": "realtime"}, name="realtime_list"),
    path("audiences/standard/", pages.coming_soon, {"page": "standard"}, name="standard_list"),
    path("audiences/<int:pk>/", pages.coming_soon, {"page": "realtime"}, name="audience_detail"),
    path("setup/inputs/", inputs.input_list, name="input_list"),
    path("setup/inputs/new/", inputs.input_create, name="input_create"),
    path("setup/inputs/<int:pk>/", inputs.input_detail, name="input_detail"),
    path("setup/inputs/<int:pk>/toggle/", inputs.input_toggle, name="input_toggle"),
    path("setup/inputs/<int:pk>/rotate/", inputs.input_rotate, name="input_rotate"),
    path("setup/catalogue/", catalogue.catalogue, name="catalogue"),
    path("setup/catalogue/<int:pk>/", catalogue.set_override, name="catalogue_override"),
    path("profiles/", profiles.profile_search, name="profile_search"),
    path("profiles/<int:mpid>/", profiles.profile_detail, name="profile_detail"),
]
