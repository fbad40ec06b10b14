from django.urls import URLPattern, URLResolver, path

from dandang.tolerance import views

app_name = "tolerance"

urlpatterns: list[URLPattern | URLResolver] = [
    path("tolerance/", views.case_list, name="case_list"),
    path("tolerance/apply/", views.apply, name="apply"),
    path("tolerance/cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("tolerance/cases/<int:pk>/accept/", views.case_accept, name="case_accept"),
    path("tolerance/cases/<int:pk>/refuse/", views.case_refuse, name="case_refuse"),
    path("tolerance/cases/<int:pk>/extend/", views.case_extend, name="case_extend"),
    path("tolerance/cases/<int:pk>/propose/", views.case_propose, name="case_propose"),
    path("tolerance/cases/<int:pk>/extra-facts/", views.extra_facts, name="extra_facts"),
    path("tolerance/cases/<int:pk>/determine/", views.case_determine, name="case_determine"),
    path("tolerance/cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("tolerance/cases/<int:pk>/correction/", views.correction_add, name="correction_add"),
    path("tolerance/correction/<int:pk>/done/", views.correction_done, name="correction_done"),
    path("tolerance/cases/<int:pk>/follow-up/", views.follow_up_add, name="follow_up_add"),
    path("tolerance/cases/<int:pk>/exemption-notice.pdf", views.notice_pdf, name="notice_pdf"),
    path("cadres/<int:pk>/tolerance/", views.cadre_cases, name="cadre_cases"),
]
