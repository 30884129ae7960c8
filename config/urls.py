from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView

from . import views

admin.site.site_header = "Pilotgate administration"
admin.site.site_title = "Pilotgate"
admin.site.index_title = "Providers, scope and pilots"

urlpatterns = [
    path("health/", views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("vendors.urls")),
    path("", login_required(RedirectView.as_view(pattern_name="admin:index")), name="home"),
]
