from django.urls import path

from . import views

app_name = "vendors"

urlpatterns = [
    path("evidence/<path:name>", views.certification_evidence, name="certification-evidence"),
]
