from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from pilots import views as pilot_views

from . import views

admin.site.site_header = "Pilotgate administration"
admin.site.site_title = "Pilotgate"
admin.site.index_title = "Providers, scope and pilots"

urlpatterns = [
    path("health/", views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("settings/api-tokens/", views.api_tokens, name="api-tokens"),
    path("settings/api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("", pilot_views.dashboard, name="dashboard"),
    path("", include("vendors.urls")),
    path("", include("scope.urls")),
    path("", include("pilots.urls")),
    path("", include("portal.urls")),
]
