"""What one paper card costs to render: µs per card over the home page's 25 cards, cold.

    python benchmarks/card_bench.py                  # 1,000 generated papers, SQLite
    python benchmarks/card_bench.py --profile        # and where the time goes (cProfile, top 25)
    python benchmarks/card_bench.py --search "learning"   # the cards of a search, words marked

Builds a throwaway corpus (benchmarks/throwaway_db.py: a temporary SQLite file, or a `bench_cards`
PostgreSQL database when DATABASE_URL names a server), reads the home page's 25 papers through
Paper.objects.for_cards() as the list does, and renders templates/papers/includes/paper_card.html
for each in a page's context (the context processors included). "Cold" means what a first view
pays: every round reads the papers afresh (no cached_property carried over) and clears the cache,
so no card fragment is reused; the read itself is outside the timing. It also counts the queries
made while rendering, which must be none: everything a card shows comes with the page's read.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ["PORTAL_PAGE_CACHE"] = "0"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--papers", type=int, default=1000, help="corpus size")
    parser.add_argument("--rounds", type=int, default=30, help="timed renders of the 25 cards")
    parser.add_argument("--search", default="", help="render the cards as a search for these words")
    parser.add_argument("--lang", default="en", help="interface language (en or zh-hans)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    args = parser.parse_args()

    from throwaway_db import use_throwaway_database

    with tempfile.TemporaryDirectory() as folder:
        label, drop = use_throwaway_database("bench_cards", Path(folder))
        try:
            run(args, label)
        finally:
            from django.db import connections

            connections.close_all()
            drop()


def run(args, label):
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.template.loader import get_template
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from papers.filters import PaperFilter
    from papers.models import Paper

    call_command("migrate", verbosity=0)
    call_command("generate_corpus", papers=args.papers, verbosity=0)
    template = get_template("papers/includes/paper_card.html")
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1")
    # The page's search_query, as the list's filter makes it from ?q=.
    query = PaperFilter({"q": args.search}, queryset=Paper.objects.published()).search_query()

    def papers():
        return list(Paper.objects.published().newest_first().for_cards()[:25])

    def render(batch):
        # One page's worth: the same context for every card, as paper_list.html's loop gives.
        return [
            template.render({"paper": p, "search_query": query, "previous_visit": None}, request)
            for p in batch
        ]

    with translation.override(args.lang):
        render(papers())  # warm: template compiled, translations loaded, URL resolver built
        times = []
        for _ in range(args.rounds):
            cache.clear()
            batch = papers()
            start = time.perf_counter()
            render(batch)
            times.append(time.perf_counter() - start)
        cache.clear()
        batch = papers()
        with CaptureQueriesContext(connection) as queries:
            html = render(batch)
        size = sum(len(h) for h in html) / len(html)
        per_card = statistics.median(times) / len(batch) * 1e6
        print(
            f"{label}, {args.papers:,} papers, {len(batch)} cards, lang={args.lang}, search={args.search!r}"
        )
        print(
            f"  render: {per_card:.0f} µs/card median (min {min(times) / len(batch) * 1e6:.0f}), "
            f"{statistics.median(times) * 1000:.1f} ms per 25 cards"
        )
        print(f"  queries while rendering: {len(queries)}; card HTML: {size:,.0f} bytes on average")
        if args.profile:
            profiler = cProfile.Profile()
            for _ in range(10):
                cache.clear()
                batch = papers()
                profiler.enable()
                render(batch)
                profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(25)
            stats.sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
