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
    path("", include("dandang.archive.urls")),
    path("", include("dandang.tolerance.urls_clearing")),
    path("", include("dandang.tolerance.urls_lists")),
    path("", include("dandang.tolerance.urls")),
]

# An unreachable database answers a clean 503 "try again" page instead of a bare 500.
handler500 = "dandang.web.middleware.server_error"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
