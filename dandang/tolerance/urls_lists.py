from django.urls import URLPattern, URLResolver, path

from dandang.tolerance import views_lists

app_name = "tolerance_lists"

urlpatterns: list[URLPattern | URLResolver] = [
    path("tolerance/lists/", views_lists.tolerance_lists, name="lists"),
]
