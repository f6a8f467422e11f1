from django.contrib import admin
from django.urls import include, path

from . import health
from .language import choose_language
from .logins import ThrottledLoginForm

# Says why when a login is refused for too many failures (see portal/logins.py).
admin.site.login_form = ThrottledLoginForm

urlpatterns = [
    # Probes for compose, load balancers and orchestrators (portal/health.py).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("language/<str:code>/", choose_language, name="choose_language"),
    path("lists/", include("readinglists.urls")),
    path("", include("papers.urls")),
]
