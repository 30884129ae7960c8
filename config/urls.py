from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from pilots import views as pilot_views

from . import accounts, views

admin.site.site_header = "Pilotgate administration"
admin.site.site_title = "Pilotgate"
admin.site.index_title = "Providers, scope and pilots"

urlpatterns = [
    path("health/", views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/changed/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password/reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", accounts.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
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
