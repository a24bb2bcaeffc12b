from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("me/", views.whoami, name="whoami"),
    path("language/", views.switch_language, name="language"),
    path("sso/", views.sso_login, name="sso_login"),
    path("sso/callback/", views.sso_callback, name="sso_callback"),
    path("invitation/<str:uidb64>/<str:token>/", views.accept_invitation, name="invitation"),
]
