from django.urls import path, re_path

from . import dispute_views, views

app_name = "pilots"

urlpatterns = [
    path("pilots/", views.PilotListView.as_view(), name="pilot-list"),
    path("pilots/new/", views.PilotCreateView.as_view(), name="pilot-add"),
    path("pilots/<int:pk>/", views.PilotDetailView.as_view(), name="pilot-detail"),
    path("pilots/<int:pk>/edit/", views.PilotEditView.as_view(), name="pilot-edit"),
    path("pilots/<int:pk>/measurements/", views.MeasurementEntryView.as_view(), name="pilot-measurements"),
    path("pilots/<int:pk>/import/", views.MeasurementImportView.as_view(), name="pilot-import"),
    path("pilots/<int:pk>/import/template/", views.measurement_template, name="pilot-import-template"),
    path(
        "pilots/<int:pk>/import/<int:record_pk>/",
        views.MeasurementImportPreviewView.as_view(),
        name="pilot-import-preview",
    ),
    path(
        "pilots/<int:pk>/import/<int:record_pk>/file/",
        views.MeasurementImportFileView.as_view(),
        name="pilot-import-file",
    ),
    path("pilots/<int:pk>/actions/<str:action>/", views.PilotActionView.as_view(), name="pilot-action"),
    path(
        "measurements/<int:pk>/dispute/",
        dispute_views.BuyerDisputeView.as_view(),
        {"action": "dispute"},
        name="measurement-dispute",
    ),
    re_path(
        r"^disputes/(?P<pk>[0-9]{1,18})/(?P<action>withdraw|correct)/$",
        dispute_views.BuyerDisputeView.as_view(),
        name="dispute-action",
    ),
    path("flags/", views.FlagListView.as_view(), name="flag-list"),
    path("flags/acknowledge/", views.FlagAcknowledgeView.as_view(), name="flag-acknowledge-selected"),
    path("flags/<int:pk>/acknowledge/", views.FlagAcknowledgeView.as_view(), name="flag-acknowledge"),
    path("settings/digest/", views.digest_settings, name="digest-settings"),
    path("digests/preview/<int:user_id>/", views.digest_preview, name="digest-preview"),
]
