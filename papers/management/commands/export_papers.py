import json

from django.core.management.base import BaseCommand

from papers.exporting import export_rows


class Command(BaseCommand):
    help = "Print every paper as JSON Lines (one paper per line) on standard output."

    def handle(self, **options):
        for row in export_rows():
            self.stdout.write(json.dumps(row, ensure_ascii=False))
