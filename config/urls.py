from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from dandang.web.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("dandang.web.urls")),
    path("", include("dandang.org.urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
