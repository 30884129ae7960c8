from django.urls import path

from . import views

app_name = "vendors"

urlpatterns = [
    path("providers/", views.ProviderListView.as_view(), name="provider-list"),
    path("providers/new/", views.ProviderCreateView.as_view(), name="provider-add"),
    path("providers/import/", views.ProviderImportView.as_view(), name="provider-import"),
    path("providers/import/template/", views.provider_import_template, name="provider-import-template"),
    path(
        "providers/import/<int:record_pk>/", views.ProviderImportPreviewView.as_view(), name="provider-import-preview"
    ),
    path("providers/import/<int:record_pk>/file/", views.ProviderImportFileView.as_view(), name="provider-import-file"),
    path("providers/<int:pk>/", views.ProviderDetailView.as_view(), name="provider-detail"),
    path("providers/<int:pk>/edit/", views.ProviderEditView.as_view(), name="provider-edit"),
    path("providers/<int:pk>/actions/<str:action>/", views.ProviderActionView.as_view(), name="provider-action"),
    path("evidence/<path:name>", views.certification_evidence, name="certification-evidence"),
]
