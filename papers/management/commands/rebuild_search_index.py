import time

from django.core.management.base import BaseCommand

from papers import search


class Command(BaseCommand):
    help = (
        "Rebuild the full-text search index of every paper (imports and admin edits keep it current; "
        "use this after restoring a database or changing what is indexed)."
    )

    def handle(self, **options):
        started = time.perf_counter()
        count = search.reindex_all()
        self.stdout.write(f"indexed {count:,} papers in {time.perf_counter() - started:.1f}s")
