from django.urls import path, re_path

from . import views

app_name = "portal"

urlpatterns = [
    # The provider's side (no account; the link's secret opens a session for one pilot).
    path("provider/", views.pilot_page, name="pilot"),
    path("provider/template/", views.template, name="template"),
    path("provider/uploads/", views.UploadView.as_view(), name="upload"),
    path("provider/uploads/<int:record_pk>/", views.UploadPreviewView.as_view(), name="upload-preview"),
    path("provider/values/<int:pk>/dispute/", views.dispute, name="dispute"),
    re_path(
        r"^provider/disputes/(?P<pk>[0-9]{1,18})/(?P<action>withdraw|correct)/$", views.dispute, name="dispute-action"
    ),
    path("provider/leave/", views.leave, name="leave"),
    re_path(r"^provider/(?P<secret>[A-Za-z0-9_-]{1,200})/$", views.enter, name="enter"),
    # The buying team's side.
    path("pilots/<int:pk>/links/", views.link_issue, name="link-issue"),
    path("links/<int:pk>/revoke/", views.link_revoke, name="link-revoke"),
]
