from django.urls import URLPattern, URLResolver, path

from dandang.tolerance import views_clearing as views

app_name = "tolerance_clearing"

urlpatterns: list[URLPattern | URLResolver] = [
    path("tolerance/clearing/", views.case_list, name="case_list"),
    path("tolerance/clearing/<int:pk>/", views.case_detail, name="case_detail"),
    path("tolerance/clearing/<int:pk>/verify/", views.case_verify, name="case_verify"),
    path("tolerance/clearing/<int:pk>/clear/", views.case_clear, name="case_clear"),
    path("tolerance/clearing/<int:pk>/refuse/", views.case_refuse, name="case_refuse"),
    path("cadres/<int:pk>/clearing/new/", views.case_open, name="case_open"),
    path("cadres/<int:pk>/cleared-allegations/", views.cadre_cleared, name="cadre_cleared"),
]
