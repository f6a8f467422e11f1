"""Search latency at 1k, 10k and 100k synthetic papers: the search itself, the whole page, and under load.

    python benchmarks/search_bench.py                          # SQLite: 1,000 / 10,000 / 100,000 papers
    python benchmarks/search_bench.py --sizes 1000,10000 --rounds 3 --requests 100
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/search_bench.py

Uses a throwaway database (a temporary SQLite file, or a `bench_search` PostgreSQL database that is
dropped afterwards). The corpus grows in steps; at each size it prints, over a fixed set of English,
Chinese and mixed queries:

- search: `papers.search.papers(q)`: the count and the first page of 25 (what the index costs);
- page: GET /search/?q= through the test client (count, page, facets, highlighting, template);
- load: the same pages from 4 client threads against gunicorn (4 workers) on a free local port,
  a fixed number of requests, with throughput.

The corpus is `manage.py generate_corpus`'s (papers.corpus): written in bulk, not through the
importer, with text drawn from an ML vocabulary with a long-tailed (Zipf) word distribution and
per-paper topics, so queries have realistic selectivity: a topic word matches a few percent of the
papers, 模型 most of them.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from servers import stop  # noqa: E402  (beside this script)
from throwaway_db import settle, use_throwaway_database  # noqa: E402  (beside this script)

QUERIES = {
    "en": [
        "diffusion",
        "diffusion policy",
        '"language models"',
        "reinforcement learning -robot",
        "graph neural networks",
        "policies",
        "Tsinghua",
        "Wei Zhang",
        "learning",
    ],
    "zh": ["扩散", "扩散模型", "强化学习", "图神经网络", "语音", "模型"],
    "mixed": ["扩散 robot", "transformer 注意力", "diffusion 机器人", "语言模型 alignment"],
}
ALL_QUERIES = [q for group in QUERIES.values() for q in group]

# --- the corpus ------------------------------------------------------------------------------


def add_papers(count, *, seed=11):
    """Grow the corpus by `count` papers; returns (seconds writing the rest, seconds writing the index)."""
    from papers.corpus.writing import generate

    generated = generate(count, seed=seed, append=True)
    settle()
    return generated.seconds - generated.index_seconds, generated.index_seconds


# --- measuring -------------------------------------------------------------------------------


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def summary(ms):
    return f"median {statistics.median(ms):6.1f} ms   p95 {percentile(ms, 95):6.1f} ms"


def time_search(rounds):
    """The index's part of a search: the matches kept (at most RESULT_LIMIT) and their ranked ids."""
    from papers import search

    per_query = {}
    for _ in range(rounds):
        for q in ALL_QUERIES:
            started = time.perf_counter()
            # What the search page does: the newest matches, then all of them ranked (which counts them).
            list(search.papers(q).values_list("pk", flat=True))
            per_query.setdefault(q, []).append((time.perf_counter() - started) * 1000)
    return per_query


def hits(q):
    from papers import search

    return search.papers(q).count()


def time_pages(rounds):
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    per_query = {}
    for _ in range(rounds):
        started = time.perf_counter()
        client.get("/")
        per_query.setdefault(None, []).append((time.perf_counter() - started) * 1000)
        for q in ALL_QUERIES:
            started = time.perf_counter()
            response = client.get("/search/", {"q": q})
            assert response.status_code == 200, (q, response.status_code)
            per_query.setdefault(q, []).append((time.perf_counter() - started) * 1000)
    return per_query


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_under_load(requests, clients, folder):
    port = free_port()
    log = open(folder / "gunicorn.log", "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(clients), "--log-level", "warning"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/search/?q="
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "warm", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    log.flush()
                    tail = Path(log.name).read_text()[-3000:]
                    raise RuntimeError(f"gunicorn did not answer; its log ends:\n{tail}") from None
                time.sleep(0.2)
        for q in ALL_QUERIES * clients:  # warm every worker's connection and caches
            urllib.request.urlopen(base + urllib.parse.quote(q), timeout=30).read()

        def fetch(i):
            q = ALL_QUERIES[i % len(ALL_QUERIES)]
            started = time.perf_counter()
            with urllib.request.urlopen(base + urllib.parse.quote(q), timeout=60) as response:
                response.read()
                assert response.status == 200
            return (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            ms = list(pool.map(fetch, range(requests)))
        return ms, requests / (time.perf_counter() - started)
    finally:
        stop(server, log)


def report(label, per_query, *, detail):
    baseline = per_query.pop(None, None)
    everything = [t for ts in per_query.values() for t in ts]
    print(f"  {label:7} all queries: {summary(everything)}")
    for group, queries in QUERIES.items():
        times = [t for q in queries for t in per_query[q]]
        print(f"  {'':7} {group:5}: {summary(times)}")
    if baseline:
        print(f"  {'':7} (home page, no search, for comparison: {summary(baseline)})")
    if detail:
        for q, ts in per_query.items():
            print(f"  {'':7}   {q!r:34} median {statistics.median(ts):6.1f} ms   {hits(q):7,} hits")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000", help="corpus sizes, increasing")
    parser.add_argument("--rounds", type=int, default=5, help="single-threaded runs of every query")
    parser.add_argument("--requests", type=int, default=400, help="requests under concurrent load")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--detail", action="store_true", help="also print each query's median")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")
    os.environ["DJANGO_DEBUG"] = "0"
    # Served over plain http://127.0.0.1: the HTTPS protections that DEBUG off turns on are switched
    # off by name, as `make run` does.
    for name in ("DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SECURE_HSTS_SECONDS", "DJANGO_SECURE_COOKIES"):
        os.environ.setdefault(name, "0")
    tmp = Path(tempfile.mkdtemp(prefix="search-bench-"))
    label, drop_database = use_throwaway_database("bench_search", tmp)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    try:
        call_command("migrate", verbosity=0)
        if not (ROOT / "staticfiles" / "staticfiles.json").exists():
            call_command("collectstatic", interactive=False, verbosity=0)  # pages need the manifest
        have = 0
        for size in sizes:
            insert_s, index_s = add_papers(size - have)
            print(
                f"\n{label}, {size:,} papers (added {size - have:,}: inserted in {insert_s:.1f}s, "
                f"indexed in {index_s:.1f}s = {(size - have) / index_s:,.0f} papers/s)"
            )
            have = size
            time_search(1)  # warm caches
            report("search", time_search(args.rounds), detail=args.detail)
            report("page", time_pages(args.rounds), detail=args.detail)
            connections.close_all()
            ms, rate = time_under_load(args.requests, args.clients, tmp)
            print(
                f"  load    {args.clients} clients, {args.requests} pages: {summary(ms)}   {rate:.1f} pages/s"
            )
    finally:
        connections.close_all()
        drop_database()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
