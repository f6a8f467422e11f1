from django.core.management.base import BaseCommand, CommandError

from papers.corpus.writing import CorpusError, generate


class Command(BaseCommand):
    help = (
        "Fill an empty database with synthetic bilingual papers (a daily digest of 100 a day, authors, "
        "institutions with merged aliases, the search index), for benchmarks and trying the portal at scale."
    )

    def add_arguments(self, parser):
        parser.add_argument("--papers", type=int, required=True, help="how many papers to add")
        parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same papers")
        parser.add_argument(
            "--append",
            action="store_true",
            help="add to a database that has papers already (after its newest synthetic digest)",
        )

    def handle(self, *, papers, seed, append, verbosity, **options):
        def progress(done, seconds):
            if verbosity > 0 and done < papers:
                self.stdout.write(f"  {done:,} papers ({seconds:.1f}s)")

        try:
            generated = generate(papers, seed=seed, append=append, progress=progress)
        except CorpusError as err:
            raise CommandError(str(err)) from None
        except KeyboardInterrupt:
            raise CommandError(
                "interrupted; the digests written so far stay (whole days, the one in progress was "
                "rolled back): add the rest with --append",
                returncode=130,
            ) from None
        self.stdout.write(generated.summary())
