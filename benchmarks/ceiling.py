"""The ceiling of benchmarks/page_bench.py: a bare Django view rendering 25 fake papers.

    gunicorn --chdir benchmarks ceiling:application

What Django itself can serve on this machine, with the same interpreter and gunicorn as the portal:
one view rendering a template of 25 paper cards like the list pages' (titles in both languages,
authors, institutions, the English abstract and Chinese summary, links), from a Python list made
once at start-up by papers.corpus.fake. No database, no middleware, no sessions, no translation:
each page's req/s over this one says what the portal's work beyond rendering costs. Its own
settings, here, so nothing is added to the portal's URLs or settings.
"""

import os
import sys
from pathlib import Path

import django
from django.conf import settings

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # papers.corpus.fake: pure Python, no Django app needed

settings.configure(
    DEBUG=False,
    SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "ceiling-benchmark-only"),
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_I18N=False,
    # Not DEBUG, so Django caches the compiled template, as it does the portal's.
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [HERE / "templates"]}],
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.urls import path  # noqa: E402

from papers.corpus.fake import fake_digest  # noqa: E402


def _papers():
    digest = fake_digest(seed=1, day=0, count=25)
    return [
        {
            "id": 1000 + e.position,
            "area": e.area,
            "digest": digest.name,
            "title_en": e.title_en,
            "title_zh": e.title_zh,
            "authors": [{"name": a, "slug": a.lower().replace(" ", "-")} for a in e.authors],
            "truncated": e.authors_truncated,
            "institutions": [
                {"name": name, "slug": name.lower().replace(" ", "-")} for _, name in e.institutions
            ],
            "abstract_en": e.abstract_en,
            "summary_zh": e.summary_zh,
        }
        for e in digest.entries
    ]


PAPERS = _papers()


def papers(request):
    return render(request, "ceiling.html", {"papers": PAPERS, "count": 100_000})


urlpatterns = [path("", papers)]
application = get_wsgi_application()
