from django.urls import URLPattern, URLResolver, path

from dandang.archive import views, views_export, views_form, views_import

app_name = "archive"

urlpatterns: list[URLPattern | URLResolver] = [
    path("archive/", views.entry_list_page, name="entry_list"),
    path("archive/mine/", views.my_archive, name="my_archive"),
    path("archive/queue/", views.queue, name="queue"),
    path("archive/metric-row/", views_form.metric_row, name="metric_row"),
    path("archive/import/", views_import.archive_import, name="import"),
    path("archive/import/template.xlsx", views_import.archive_template_xlsx, name="import_template_xlsx"),
    path("archive/import/template.csv", views_import.archive_template_csv, name="import_template_csv"),
    path("archive/entries/<int:pk>/", views.entry_page, name="entry_detail"),
    path("archive/entries/<int:pk>/edit/", views_form.entry_edit, name="entry_edit"),
    path("archive/entries/<int:pk>/submit/", views.entry_submit, name="entry_submit"),
    path("archive/entries/<int:pk>/withdraw/", views.entry_withdraw, name="entry_withdraw"),
    path("archive/entries/<int:pk>/return/", views.entry_return, name="entry_return"),
    path("archive/entries/<int:pk>/reject/", views.entry_reject, name="entry_reject"),
    path("archive/entries/<int:pk>/verify/", views.entry_verify, name="entry_verify"),
    path("archive/entries/<int:pk>/revoke/", views.entry_revoke, name="entry_revoke"),
    path("archive/entries/<int:pk>/evidence/", views_form.evidence_add, name="evidence_add"),
    path("archive/evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("archive/evidence/<int:pk>/remove/", views_form.evidence_remove, name="evidence_remove"),
    path("cadres/<int:pk>/archive/", views.dossier, name="dossier"),
    path("cadres/<int:pk>/archive/new/", views_form.entry_create, name="entry_create"),
    path("cadres/<int:pk>/archive/tasks/", views_form.task_create, name="task_create"),
    path("cadres/<int:pk>/archive/card.pdf", views_export.archive_card_pdf, name="card_pdf"),
    path("cadres/<int:pk>/archive/card.xlsx", views_export.archive_card_xlsx, name="card_xlsx"),
]
