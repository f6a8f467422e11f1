from django.core.management.base import BaseCommand, CommandError

from papers import institutions, reference


class Command(BaseCommand):
    help = (
        "Load the reference table of institutions (papers/data/institutions.toml, or FILE): their "
        "English and Chinese names, short names, spellings, kinds and countries. Stored rows that are "
        "spellings of one institution are merged; a curator's merges and edits are kept. Prints how "
        "many stored institutions it matched, and the unmatched ones by paper count."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", default=str(reference.DEFAULT_PATH), help="a table in the same format"
        )
        parser.add_argument(
            "--unmatched", type=int, default=20, metavar="N", help="list at most N unmatched ones (20)"
        )

    def handle(self, *, file, unmatched, verbosity, **options):
        try:
            table = reference.load(file)
        except reference.ReferenceTableError as error:
            raise CommandError(f"{error}; nothing was changed") from None
        say = self.stdout.write if verbosity > 1 else None
        report = institutions.load_reference(table, log=say)
        self.stdout.write(
            f"{file}: {report.entries} institutions in the table; matched {report.matched} of the "
            f"{report.stored} stored institutions, merged {report.merged} spellings, "
            f"updated {report.updated}."
        )
        for conflict in report.conflicts:
            self.stdout.write(self.style.WARNING(f"kept a curator's decision: {conflict}"))
        if report.unmatched:
            shown = report.unmatched[:unmatched]
            self.stdout.write(f"{len(report.unmatched)} unmatched, most papers first:")
            for name, papers in shown:
                self.stdout.write(f"  {papers:6d}  {name}")
            if len(report.unmatched) > len(shown):
                self.stdout.write(f"  … and {len(report.unmatched) - len(shown)} more (--unmatched N)")
