from django.urls import path

from audiences.views import audiences, builder, catalogue, experiments, inputs, profiles, standard

app_name = "audiences"

urlpatterns = [
    path("audiences/real-time/", audiences.realtime_list, name="realtime_list"),
    path("audiences/real-time/new/", audiences.audience_create, name="audience_create"),
    path("audiences/standard/", standard.standard_list, name="standard_list"),
    path("audiences/standard/new/", standard.standard_create, name="standard_create"),
    path("audiences/standard/calculate/", standard.calculate, name="standard_calculate"),
    path("audiences/standard/credits/", standard.credits, name="standard_credits"),
    path("audiences/<int:pk>/standard-clone/", standard.standard_clone, name="standard_clone"),
    path("audiences/<int:pk>/standard-head/", standard.standard_head, name="standard_head"),
    path("audiences/<int:pk>/", builder.audience_build, name="audience_detail"),
    path("audiences/<int:pk>/estimate/", builder.audience_estimate, name="audience_estimate"),
    path("audiences/<int:pk>/activated/", audiences.audience_activated, name="audience_activated"),
    path("audiences/<int:pk>/connect/", audiences.audience_tab, {"tab": "connect"}, name="audience_connect"),
    path("audiences/<int:pk>/ab-test/", experiments.audience_abtest, name="audience_abtest"),
    path("audiences/<int:pk>/ab-test/delete/", experiments.abtest_delete, name="abtest_delete"),
    path("audiences/<int:pk>/download/", experiments.download_create, name="download_create"),
    path("downloads/<uuid:uid>/", experiments.download_detail, name="download_detail"),
    path("downloads/<uuid:uid>/file/", experiments.download_file, name="download_file"),
    path("downloads/<uuid:uid>/dismiss/", experiments.download_dismiss, name="download_dismiss"),
    path("audiences/<int:pk>/settings/", audiences.audience_settings, name="audience_settings"),
    path("audiences/<int:pk>/tags/", audiences.tag_add, name="tag_add"),
    path("audiences/<int:pk>/tags/remove/", audiences.tag_remove, name="tag_remove"),
    path("audiences/<int:pk>/clone/", audiences.audience_clone, name="audience_clone"),
    path("audiences/<int:pk>/delete/", audiences.audience_delete, name="audience_delete"),
    path("audiences/<int:pk>/activate/", audiences.audience_activate, name="audience_activate"),
    path("audiences/<int:pk>/deactivate/", audiences.audience_deactivate, name="audience_deactivate"),
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
