from django.contrib.auth import views as auth_views
from django.urls import path

from dandang.web import views

urlpatterns = [
    path("accounts/login/", views.DandangLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/language/", views.language_set, name="language_set"),
    path("inbox/", views.inbox_page, name="inbox"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="inbox_read"),
    path("", views.home, name="home"),
]
