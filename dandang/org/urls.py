from django.urls import URLPattern, URLResolver, path

from dandang.org import views, views_holidays, views_import, views_rulebooks

app_name = "org"

urlpatterns: list[URLPattern | URLResolver] = [
    path("orgs/", views.tree, name="tree"),
    path("orgs/<int:pk>/", views.org_detail, name="org_detail"),
    path("orgs/<int:pk>/children/", views.org_children, name="org_children"),
    path("cadres/", views.cadre_list, name="cadre_list"),
    path("cadres/<int:pk>/", views.cadre_detail, name="cadre_detail"),
    path("holidays/", views_holidays.holidays, name="holidays"),
    path("rulebooks/", views_rulebooks.rulebooks, name="rulebooks"),
    path(
        "rulebooks/<slug:rulebook_id>/<int:version>.yaml", views_rulebooks.rulebook_download, name="rulebook_download"
    ),
    path("roster/import/", views_import.roster_import, name="roster_import"),
    path("roster/template.xlsx", views_import.roster_template, name="roster_template"),
    path("roster/template-<str:kind>.csv", views_import.roster_template_csv, name="roster_template_csv"),
]
