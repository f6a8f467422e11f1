"""Page speed at 1,000, 10,000 and 100,000 papers, against what Django itself serves here.

    python benchmarks/page_bench.py                      # SQLite: 1,000 / 10,000 / 100,000 papers
    python benchmarks/page_bench.py --sizes 1000,10000 --duration 5
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/page_bench.py

Needs wrk (`apt-get install wrk`). Uses a throwaway database: a temporary SQLite file, or a
`bench_pages` PostgreSQL database (BENCH_DATABASE names another) that is dropped afterwards.

For each size it grows the corpus with `manage.py generate_corpus --append`, then starts the portal
under gunicorn as production runs it (2 sync workers, DJANGO_DEBUG=0, a random secret key,
collected static files), once with its page cache off (first views: every row but one) and once
with it on (the "cached" row: a repeat view), and, beside them, the ceiling: benchmarks/ceiling.py,
a bare Django view rendering 25 fake papers from a list, under the same gunicorn and interpreter.
For each page it measures, one page at a time and only on 127.0.0.1:

- req/s: `wrk -t2 -c16 -d<duration>s` (16 clients at once: both workers always busy);
- the one-client median: 50 requests in a row, one at a time (what a reader waits);
- "after a change": the one-client median of 10 requests, each right after a move of the site
  version (as any write makes it), so nothing kept for first views serves it: no card, feed entry,
  count or figure (no target; the rows above keep those parts, as readers between changes get them);
- the ratio of its req/s to the ceiling's, measured the same way right before it: on a machine
  others share, load moves from minute to minute, so each page is compared with the ceiling of its
  own minute (the ceiling's row shows the spread of those).

It prints a table per size with the targets beside the figures (PASS/MISS; a miss never fails the
run), the gunicorn workers' memory (VmRSS) after the run, and at the end each page's median at the
largest size over its median at the smallest (flat: at most 1.2), beside the ceiling's own ratio
(how much the machine drifted meanwhile).
"""

import argparse
import http.client
import math
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from servers import stop  # noqa: E402  (beside this script)
from throwaway_db import settle, use_throwaway_database  # noqa: E402  (beside this script)

WORKERS = 2
WRK_THREADS = 2
# Targets: a page's req/s as a share of the ceiling's (the 304 a multiple of it), the growth of
# its one-client median from the smallest corpus to the largest, a worker's memory.
LIST_SHARE, PAPER_SHARE, NOT_MODIFIED_TIMES, CACHED_TIMES = 0.5, 0.8, 5.0, 3.0
FLAT = 1.2
UNCACHED = {"PORTAL_PAGE_CACHE": "0"}
RSS_MB = 150
AFTER_CHANGE_REQUESTS = 10


def pages(slug, deep_page, paper_id, etag):
    """(name, path, request headers, expected status, target share of the ceiling's req/s)."""
    return [
        ("list", "/", {}, 200, LIST_SHARE),
        ("filtered", f"/?area=CV&institution={urllib.parse.quote(slug)}", {}, 200, LIST_SHARE),
        ("deep", f"/?page={deep_page}", {}, 200, LIST_SHARE),
        ("institution", f"/institutions/{urllib.parse.quote(slug)}/", {}, 200, LIST_SHARE),
        ("search en", "/search/?q=diffusion", {}, 200, LIST_SHARE),
        ("search zh", "/search/?q=" + urllib.parse.quote("扩散模型"), {}, 200, LIST_SHARE),
        ("feed", "/feeds/latest.rss", {}, 200, LIST_SHARE),
        ("paper", f"/papers/{paper_id}/", {}, 200, PAPER_SHARE),
        ("feed 304", "/feeds/latest.rss", {"If-None-Match": etag}, 304, NOT_MODIFIED_TIMES),
        # A repeat view from the page cache (the other rows are first views, the page cache off).
        ("cached", f"/?area=CV&institution={urllib.parse.quote(slug)}", {}, 200, CACHED_TIMES),
    ]


# --- servers ---------------------------------------------------------------------------------


def free_port():
    """A free port on 127.0.0.1: any, or the first free one of BENCH_PORTS ("18300-18399") when a
    shared machine gives each checkout its own range."""
    first, _, last = os.environ.get("BENCH_PORTS", "0-0").partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            if port and port not in _TAKEN:
                _TAKEN.add(port)
                return port
            if not port:
                return s.getsockname()[1]
    raise SystemExit(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


_TAKEN = set()  # handed out already: the servers bind them only later


@contextmanager
def gunicorn(app, port, log_path, *, chdir=ROOT, env=None):
    """A gunicorn of WORKERS sync workers serving `app` on 127.0.0.1:port, stopped by its PID after;
    `env` holds environment variables to set for it."""
    log = open(log_path, "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), app, "--chdir", str(chdir),
         "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--log-level", "warning"],
        cwd=ROOT, env=os.environ | (env or {}), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                fetch(port, "/")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    log.flush()
                    tail = Path(log_path).read_text()[-3000:]
                    raise RuntimeError(f"{app} did not answer; its log ends:\n{tail}") from None
                time.sleep(0.2)
        yield server.pid
    finally:
        stop(server, log)


def fetch(port, path, headers=None):
    """GET path from 127.0.0.1:port: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def worker_rss_mb(master_pid):
    """VmRSS of each worker (child) of a gunicorn master, in MB."""
    sizes = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name is in parentheses and may hold spaces: the parent PID follows it.
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if ppid == master_pid:
                status = (stat.parent / "status").read_text()
                sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024)
        except (OSError, ValueError, AttributeError, IndexError):
            continue  # the process ended meanwhile
    return sorted(sizes)


# --- measuring -------------------------------------------------------------------------------


def one_client_median(port, path, headers, requests):
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        fetch(port, path, headers)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def wrk(port, path, headers, *, duration, connections, threads=WRK_THREADS):
    """(requests/s, problems) under `connections` clients for `duration` seconds."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    problems = []
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        problems.append(f"{match.group(1)} errors")
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        if any(int(n) for n in match.groups()):
            problems.append("socket errors " + "/".join(match.groups()))
    return rate, problems


def measure(port, path, headers, expected, args, *, after_change=False):
    status, _, _ = fetch(port, path, headers)
    if status != expected:
        return {"error": f"answered {status}, not {expected}"}
    wrk(port, path, headers, duration=1, connections=4, threads=1)  # warm both workers
    median = one_client_median(port, path, headers, args.requests)
    rate, problems = wrk(port, path, headers, duration=args.duration, connections=args.connections)
    row = {"rate": rate, "median": median, "problems": problems}
    if after_change:
        row["after change"] = after_change_median(port, path, headers, AFTER_CHANGE_REQUESTS)
    return row


def after_change_median(port, path, headers, requests):
    """The one-client median of a view right after a change: each request follows a move of the
    site version, as every write makes, so nothing kept under the old one (cards, feed entries,
    counts, figures) serves it. What the first reader after an import waits."""
    from django.db import connection

    times = []
    for _ in range(requests):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE papers_siteversion SET version = version + 1 WHERE id = 1")
        started = time.perf_counter()
        fetch(port, path, headers)
        times.append((time.perf_counter() - started) * 1000)
    connection.close()
    return statistics.median(times)


def verdict(ok):
    return "PASS" if ok else "MISS"


# --- one corpus size -------------------------------------------------------------------------


def grow_corpus(have, size):
    """Generate the papers from `have` to `size` with the management command; returns seconds."""
    command = [sys.executable, "manage.py", "generate_corpus", "--papers", str(size - have)]
    if have:
        command.append("--append")
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=os.environ.copy(), check=True)
    return time.perf_counter() - started


def selection():
    """A top institution's slug, the deepest page up to 200, the newest paper's id."""
    from django.db.models import Count

    from papers.models import Institution, Paper

    top = Institution.objects.canonical().annotate(n=Count("affiliations")).order_by("-n", "pk").first()
    deep = min(200, math.ceil(Paper.objects.published().count() / 25))
    newest = Paper.objects.published().newest_first().values_list("pk", flat=True).first()
    return top.slug, deep, newest


def run_size(label, size, generated_in, args, folder):
    from django.db import connections

    slug, deep, paper_id = selection()
    connections.close_all()  # the servers hold their own; this process reads no more
    load = os.getloadavg()[0]
    portal_port, cached_port, ceiling_port = free_port(), free_port(), free_port()
    rows = {}
    with (
        # Pages are measured as a first view costs: this portal keeps no page in its page cache.
        gunicorn("portal.wsgi", portal_port, folder / "portal.log", env=UNCACHED) as portal_pid,
        # and a repeat view as readers get it: the page cache on (each worker's own, without REDIS_URL).
        gunicorn("portal.wsgi", cached_port, folder / "cached.log"),
        gunicorn("ceiling:application", ceiling_port, folder / "ceiling.log", chdir=ROOT / "benchmarks"),
    ):
        rows["ceiling"] = measure(ceiling_port, "/", {}, 200, args) | {"paired": []}
        _, headers, _ = fetch(portal_port, "/feeds/latest.rss")
        etag = headers.get("ETag", '"none"')
        for name, path, request_headers, expected, target in pages(slug, deep, paper_id, etag):
            # The ceiling again, right before each page: on a machine others share, the load moves
            # from minute to minute, and a page is compared with the ceiling of the same minute.
            ceiling, _ = wrk(ceiling_port, "/", {}, duration=args.duration, connections=args.connections)
            rows["ceiling"]["paired"].append(ceiling)
            port = cached_port if name == "cached" else portal_port
            first_view = name not in ("feed 304", "cached")
            rows[name] = measure(port, path, request_headers, expected, args, after_change=first_view) | {
                "path": path,
                "target": target,
                "ceiling": ceiling,
            }
        rss = worker_rss_mb(portal_pid)
    print_table(label, size, generated_in, load, rows, rss)
    return rows, rss


def print_table(label, size, generated_in, load, rows, rss):
    print(
        f"\n{label}, {size:,} papers (corpus grown in {generated_in:.0f}s; load average {load:.1f} "
        f"on {os.cpu_count()} cores before measuring, {os.getloadavg()[0]:.1f} after)"
    )
    print(
        f"  {'page':12} {'req/s':>8} {'1-client':>9}  {'ceiling':>7} {'÷ ceiling':>9}  {'target':14} "
        f"{'after a change':>14}  path"
    )
    for name, row in rows.items():
        if "error" in row:
            print(f"  {name:12} {row['error']}  {row.get('path', '')}")
            continue
        line = f"  {name:12} {row['rate']:8.1f} {row['median']:6.1f} ms"
        if name == "ceiling":
            paired = row["paired"]
            spread = f"{min(paired):.0f}-{max(paired):.0f}" if paired else ""
            line += f"  {spread:>17}  {'':14} benchmarks/ceiling.py; req/s beside each page"
        else:
            ratio = row["rate"] / row["ceiling"]
            sign = "×" if row["target"] > 1 else ""
            target = f"≥ {row['target']:.2f}{sign} {verdict(ratio >= row['target'])}"
            line += f"  {row['ceiling']:7.1f} {ratio:8.2f}{sign or ' '}  {target:14} "
            changed = f"{row['after change']:.1f} ms" if "after change" in row else ""
            line += f"{changed:>14}  " + urllib.parse.unquote(row["path"])
        if row["problems"]:
            line += "  [" + ", ".join(row["problems"]) + "]"
        print(line)
    sizes = ", ".join(f"{mb:.0f} MB" for mb in rss) or "not found"
    print(f"  worker RSS after the run: {sizes}   target < {RSS_MB} MB {verdict(rss and max(rss) < RSS_MB)}")


def print_flatness(results):
    (small, first), (large, last) = results[0], results[-1]
    drift = last["ceiling"]["median"] / first["ceiling"]["median"]
    print(f"\n1-client median at {large:,} papers ÷ at {small:,} papers (target ≤ {FLAT}):")
    print(f"  {'page':12} {'at ' + format(small, ','):>10} {'at ' + format(large, ','):>10}  ratio  target   "
          "÷ the ceiling's ratio")  # fmt: skip
    for name, row in last.items():
        before = first.get(name, {})
        if "median" not in row or "median" not in before:
            continue
        ratio = row["median"] / before["median"]
        if name == "ceiling":
            # No database: its ratio is how much the machine itself drifted between the two sizes.
            print(
                f"  {name:12} {before['median']:7.1f} ms {row['median']:7.1f} ms  {ratio:5.2f}  (the machine)"
            )
            continue
        print(
            f"  {name:12} {before['median']:7.1f} ms {row['median']:7.1f} ms  {ratio:5.2f}  "
            f"{verdict(ratio <= FLAT)}     {ratio / drift:5.2f}"
        )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000", help="corpus sizes, increasing")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk load per page")
    parser.add_argument("--connections", type=int, default=16, help="wrk's concurrent clients")
    parser.add_argument("--requests", type=int, default=50, help="one-client requests per page")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if sizes != sorted(set(sizes)) or sizes[0] < 1:
        parser.error("--sizes must be increasing positive numbers")
    if shutil.which("wrk") is None:
        sys.exit("page_bench needs wrk, the HTTP load generator: apt-get install wrk (Debian, Ubuntu)")

    started = time.perf_counter()
    os.environ["DJANGO_DEBUG"] = "0"
    # Served over plain http://127.0.0.1: the HTTPS protections that DEBUG off turns on are switched
    # off by name, as `make run` does.
    for name in ("DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SECURE_HSTS_SECONDS", "DJANGO_SECURE_COOKIES"):
        os.environ.setdefault(name, "0")
    os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)  # as production: set, and secret
    tmp = Path(tempfile.mkdtemp(prefix="page-bench-"))
    label, drop_database = use_throwaway_database("bench_pages", tmp)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    results = []
    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)  # the pages need the manifest
        have = 0
        for size in sizes:
            print(f"\n{label}: growing the corpus to {size:,} papers", flush=True)
            generated_in = grow_corpus(have, size)
            have = size
            settle()
            rows, _ = run_size(label, size, generated_in, args, tmp)
            results.append((size, rows))
        if len(results) > 1:
            print_flatness(results)
    finally:
        connections.close_all()
        drop_database()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n({label}: {time.perf_counter() - started:.0f}s in all)")


if __name__ == "__main__":
    main()
