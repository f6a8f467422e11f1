"""Import throughput: generate N synthetic daily digests and time `load_digests` on them.

    python benchmarks/import_bench.py                       # SQLite, 100,000 entries
    python benchmarks/import_bench.py --entries 20000 --per-file 200
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/import_bench.py

Uses a throwaway database (a temporary SQLite file, or a `bench_import` PostgreSQL database that is
dropped afterwards), prints entries/s for a first import and for a re-import of the same files.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from throwaway_db import use_throwaway_database  # noqa: E402  (beside this script)


def synthetic_files(folder, *, entries, per_file, seed=7):
    from tests.builders import Entry, daily_digest

    rng = random.Random(seed)
    words = "deep sparse graph diffusion policy robust transformer vision speech robot learning model".split()
    surnames = [f"Name{i}" for i in range(5000)]
    institutions = [f"University {i}" for i in range(800)]
    made, number = 0, 0
    while made < entries:
        count = min(per_file, entries - made)
        main = []
        for _ in range(count):
            made += 1
            main.append(
                Entry(
                    title=" ".join(rng.choices(words, k=8)).title() + f" {made}",
                    arxiv_id=f"{2100 + made // 99999:04d}.{made % 99999:05d}",
                    area=rng.choice(["LG", "CV", "CL", "AS", "RO"]),
                    authors=[f"{chr(65 + rng.randrange(26))} {rng.choice(surnames)}" for _ in range(6)],
                    institutions=rng.sample(institutions, 2),
                    title_zh=f"中文标题{made}",
                    summary_zh="本文提出一种新的方法。" * 8,
                    # One abstract in five names its code, as real digests do (papers.links finds it).
                    abstract_en=" ".join(rng.choices(words, k=180))
                    + (f" Code: https://github.com/lab{made % 300}/repo{made}." if made % 5 == 0 else "")
                    + f" ({made}).",
                )
            )
        number += 1
        (folder / f"bench_{number:05d}.txt").write_bytes(daily_digest(main))
    return number


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--per-file", type=int, default=100)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")
    tmp = Path(tempfile.mkdtemp(prefix="import-bench-"))
    label, drop_database = use_throwaway_database("bench_import", tmp)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    folder = tmp / "digests"
    folder.mkdir()
    started = time.perf_counter()
    files = synthetic_files(folder, entries=args.entries, per_file=args.per_file)
    print(f"generated {args.entries:,} entries in {files:,} files in {time.perf_counter() - started:.1f}s")

    for run in ("first import", "re-import (unchanged)"):
        started = time.perf_counter()
        call_command(
            "load_digests", str(folder), quiet_warnings=True, verbosity=0, stdout=open(os.devnull, "w")
        )
        elapsed = time.perf_counter() - started
        rate = args.entries / elapsed
        print(f"{label} {run}: {args.entries:,} entries in {elapsed:.1f}s = {rate:,.0f} entries/s")

    from papers.models import Paper

    print(f"{label}: {Paper.objects.count():,} papers in the database")
    from django.db import connections

    connections.close_all()
    drop_database()


if __name__ == "__main__":
    main()
