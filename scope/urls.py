from django.urls import path

from . import views

app_name = "scope"

urlpatterns = [
    path("work-items/", views.WorkItemListView.as_view(), name="workitem-list"),
    path("work-items/new/", views.WorkItemCreateView.as_view(), name="workitem-add"),
    path("work-items/<int:pk>/", views.WorkItemDetailView.as_view(), name="workitem-detail"),
    path("work-items/<int:pk>/edit/", views.WorkItemEditView.as_view(), name="workitem-edit"),
    path("work-items/<int:pk>/mark-ready/", views.WorkItemMarkReadyView.as_view(), name="workitem-mark-ready"),
    path("work-items/<int:pk>/actions/<str:action>/", views.WorkItemActionView.as_view(), name="workitem-action"),
    path("work-items/<int:pk>/sourcing/", views.SourcingView.as_view(), name="workitem-sourcing"),
    path("work-items/<int:pk>/candidates/", views.CandidateAddView.as_view(), name="candidate-add"),
    path("work-items/<int:pk>/compare/", views.CompareView.as_view(), name="workitem-compare"),
    path("work-items/<int:pk>/criteria/", views.CriteriaEditView.as_view(), name="workitem-criteria"),
    path("candidates/<int:pk>/status/", views.CandidateStatusView.as_view(), name="candidate-status"),
    path("candidates/<int:pk>/score/", views.ScoreView.as_view(), name="candidate-score"),
]
