from django.urls import path

from . import views

app_name = "scope"

urlpatterns = [
    path("work-items/", views.WorkItemListView.as_view(), name="workitem-list"),
    path("work-items/new/", views.WorkItemCreateView.as_view(), name="workitem-add"),
    path("work-items/<int:pk>/", views.WorkItemDetailView.as_view(), name="workitem-detail"),
    path("work-items/<int:pk>/edit/", views.WorkItemEditView.as_view(), name="workitem-edit"),
    path("work-items/<int:pk>/mark-ready/", views.WorkItemMarkReadyView.as_view(), name="workitem-mark-ready"),
]
