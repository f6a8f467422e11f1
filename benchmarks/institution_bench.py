"""An institution page's figures at scale: papers per area and month, co-affiliations, the whole page.

    DATABASE_URL=sqlite:////tmp/corpus.sqlite3 python manage.py migrate
    DATABASE_URL=sqlite:////tmp/corpus.sqlite3 python manage.py generate_corpus --papers 100000
    DATABASE_URL=sqlite:////tmp/corpus.sqlite3 python benchmarks/institution_bench.py

Reads the database DATABASE_URL names (a corpus made for it, never the portal's own) and prints, for
the institution with the most papers, one in the middle and one of the smallest: its papers, the
median time of papers.institution_stats.institution_stats() (the page's extra reads), and of a first
view of its page through the test client with the page cache off (the list, facets and figures), and
of its second page, which has the same list and facets but no figures.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ["PORTAL_PAGE_CACHE"] = "0"


def median_ms(run, rounds):
    run()  # warm: the first read pages the index into memory
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(rounds=7):
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from papers.institution_stats import institution_stats
    from papers.models import Institution

    ranked = list(
        Institution.objects.canonical().annotate(n=Count("affiliations")).filter(n__gt=0).order_by("-n")
    )
    if not ranked:
        sys.exit("no institutions with papers: point DATABASE_URL at a generated corpus")
    client = Client(HTTP_HOST="127.0.0.1")
    print(f"{connection.vendor}, {ranked[0].n:,} papers at the largest institution")
    for label, institution in (
        ("largest", ranked[0]),
        ("median", ranked[len(ranked) // 2]),
        ("small", ranked[-1]),
    ):

        def page(query="", institution=institution):
            cache.clear()  # facet caches too: a first view
            assert client.get(institution.get_absolute_url() + query).status_code == 200

        stats_ms = median_ms(lambda institution=institution: institution_stats(institution), rounds)
        page_ms = median_ms(page, rounds)
        later_ms = median_ms(lambda: page("?page=2"), rounds)  # the same list, without the figures
        print(
            f"{label:8} {institution.n:6,} papers  figures {stats_ms:6.1f} ms  "
            f"page {page_ms:6.1f} ms  page 2 (no figures) {later_ms:6.1f} ms"
        )


if __name__ == "__main__":
    main()
