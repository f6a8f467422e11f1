"""Smoke test of the production path, without containers: run from .ci/run after the test suites.

    .venv/bin/python tests/smoke_production.py

It creates a throwaway PostgreSQL database, migrates it and loads seeds/, starts gunicorn with the
image's own command (Dockerfile CMD, 2 workers, on a free 127.0.0.1 port) and the settings a
deployment has: DEBUG off, a generated secret, DJANGO_BEHIND_PROXY=1, REDIS_URL and JSON logs.
Then it asks what a reader behind an HTTPS proxy would: pages, a feed, a hashed static file and
/readyz, with X-Forwarded-Proto: https and an allowed Host, and checks the answers, the security
headers, the static file's caching and compression, the redirect of plain HTTP, the log lines, and
that compose's healthcheck command passes. Any failure exits 1 naming it; gunicorn is stopped and
the database dropped whatever happens. It takes seconds. SMOKE_POSTGRES (a server URL without a
database) and SMOKE_REDIS_URL say where else to look; only 127.0.0.1 belongs in them.
"""

import gzip
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import psycopg
import redis
import yaml

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("SMOKE_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/5")
HOST = "papers.example.org"
BEHIND_HTTPS = {"Host": HOST, "X-Forwarded-Proto": "https"}
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
DEADLINE_SECONDS = 50


class Failure(Exception):
    pass


passed = 0


def check(condition, message):
    global passed
    if not condition:
        raise Failure(message)
    passed += 1


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn as the image runs it, on 127.0.0.1, with its log lines in a file."""

    def __init__(self, env, workdir):
        self.port = free_port()
        dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", "")  # continued lines joined
        command = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1))
        check(command[0] == "gunicorn" and "0.0.0.0:8000" in command, f"unexpected Dockerfile CMD {command}")
        command = [str(Path(sys.executable).with_name("gunicorn")), *command[1:], "--workers", "2"]
        command[command.index("0.0.0.0:8000")] = f"127.0.0.1:{self.port}"
        self.stdout_path, self.stderr_path = workdir / "gunicorn.out", workdir / "gunicorn.err"
        self.files = [self.stdout_path.open("wb"), self.stderr_path.open("wb")]
        self.stopped_with = None  # stderr, kept once stopped (its folder goes away)
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.files[0], stderr=self.files[1]
        )

    def wait_until_serving(self, seconds=20):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Failure(f"gunicorn exited with {self.process.returncode}: {self.errors()}")
            try:
                status, _, _ = self.get("/healthz", BEHIND_HTTPS)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise Failure(f"gunicorn did not answer /healthz within {seconds} s: {self.errors()}")

    def get(self, path, headers, method="GET"):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def log_lines(self):
        return self.stdout_path.read_text(encoding="utf-8").splitlines()

    def errors(self):
        if self.stopped_with is not None:
            return self.stopped_with
        text = self.stderr_path.read_text(encoding="utf-8", errors="replace")
        return text[-2000:] or "(nothing on stderr)"

    def stop(self):
        """By its PID: SIGTERM (gunicorn's graceful stop), then SIGKILL if it has not gone in 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for file in self.files:
            file.close()
        self.stopped_with = self.errors()


def manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    check(
        result.returncode == 0,
        f"manage.py {' '.join(args)} failed: {result.stdout[-1500:]}{result.stderr[-1500:]}",
    )
    return result


def assert_security_headers(what, headers):
    for name, value in SECURITY_HEADERS.items():
        check(headers.get(name) == value, f"{what}: {name} is {headers.get(name)!r}, expected {value!r}")
    policy = headers.get("Content-Security-Policy", "")
    check(policy.startswith("default-src 'self'"), f"{what}: Content-Security-Policy is {policy!r}")


def smoke(server):
    # The front page, over "HTTPS" (the proxy said so), with a request id of our own.
    request_id = f"smoke-{secrets.token_hex(8)}"
    status, headers, body = server.get("/", {**BEHIND_HTTPS, "X-Request-ID": request_id})
    page = body.decode()
    check(status == 200, f"/ answered {status}")
    assert_security_headers("/", headers)
    check(
        headers.get("X-Request-ID") == request_id, f"/ sent back X-Request-ID {headers.get('X-Request-ID')!r}"
    )

    # A paper's page, found from the list as a reader would.
    papers = re.findall(r'href="(/papers/\d+/)"', page)
    check(papers, "/ links no paper: were the seeds loaded?")
    status, headers, body = server.get(papers[0], BEHIND_HTTPS)
    check(status == 200 and b"arxiv.org/abs/" in body, f"{papers[0]} answered {status}")
    assert_security_headers(papers[0], headers)

    # The feed parses, with items.
    status, headers, body = server.get("/feeds/latest.rss", BEHIND_HTTPS)
    check(status == 200, f"/feeds/latest.rss answered {status}")
    check(headers.get("Content-Type", "").startswith("application/rss+xml"), "the feed is not RSS")
    items = ElementTree.fromstring(body).findall("./channel/item")
    check(len(items) > 0, "the feed has no items")
    check(
        headers.get("Strict-Transport-Security") == SECURITY_HEADERS["Strict-Transport-Security"], "feed HSTS"
    )

    # The page's stylesheet: a hashed name, cached for ever, compressed when asked.
    stylesheet = next(iter(re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)), None)
    check(
        stylesheet and re.search(r"\.[0-9a-f]{12}\.css$", stylesheet),
        f"stylesheet {stylesheet!r} is not hashed",
    )
    status, headers, plain = server.get(stylesheet, BEHIND_HTTPS)
    check(status == 200 and headers.get("Content-Encoding") is None, f"{stylesheet} answered {status}")
    cache_control = headers.get("Cache-Control", "")
    check(
        "max-age=315360000" in cache_control and "immutable" in cache_control,
        f"static Cache-Control {cache_control!r}",
    )
    status, headers, packed = server.get(stylesheet, {**BEHIND_HTTPS, "Accept-Encoding": "gzip, br"})
    encoding = headers.get("Content-Encoding")
    check(
        status == 200 and encoding in {"gzip", "br"}, f"{stylesheet} with Accept-Encoding came {encoding!r}"
    )
    check("Accept-Encoding" in headers.get("Vary", ""), "static files do not Vary on Accept-Encoding")
    check(len(packed) < len(plain), "the compressed stylesheet is not smaller")
    if encoding == "gzip":
        check(gzip.decompress(packed) == plain, "the gzip stylesheet is not the stylesheet")
    check(
        server.get(stylesheet.replace(".css", ".0.css"), BEHIND_HTTPS)[0] == 404,
        "unknown static file not 404",
    )

    # Ready: database, migrations and Redis.
    status, headers, body = server.get("/readyz", BEHIND_HTTPS)
    expected = b"ready\ndatabase: ok\nmigrations: ok\ncache: ok\n"
    check(status == 200 and body == expected, f"/readyz answered {status}: {body!r}")
    check(headers.get("Cache-Control") == "no-store", "/readyz may be cached")
    cache = redis.Redis.from_url(REDIS_URL)
    check(
        # The pages read so far (their facets now come from precomputed counts) went to the page cache.
        any(cache.scan_iter("portal:1:page:*", count=1000)),
        "no page was cached in Redis",
    )
    cache.close()

    # Plain HTTP is redirected to HTTPS; a host not allowed is refused; cookies are HTTPS-only.
    status, headers, _ = server.get("/", {"Host": HOST})
    check(
        status == 301 and headers.get("Location") == f"https://{HOST}/",
        f"plain HTTP: {status} {headers.get('Location')}",
    )
    check(
        server.get("/", {**BEHIND_HTTPS, "Host": "attacker.example"})[0] == 400, "an unknown Host was served"
    )
    status, headers, _ = server.get("/admin/login/", BEHIND_HTTPS)
    cookies = headers.get_all("Set-Cookie") or []
    check(
        status == 200 and cookies and all("; Secure" in c for c in cookies), f"admin login cookies: {cookies}"
    )

    # compose's healthcheck command, pointed at this server, passes.
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    code = compose["services"]["web"]["healthcheck"]["test"][3]
    code = code.replace("${PORTAL_DOMAIN}", HOST).replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=15)
    check(probe.returncode == 0, f"compose's healthcheck failed: {probe.stderr[-800:]}")

    # HEAD, as uptime monitors ask: GET's headers, no body, and (below) no warning from gunicorn.
    head_id = f"smoke-head-{secrets.token_hex(8)}"
    _, get_headers, get_body = server.get(papers[0], BEHIND_HTTPS)
    status, headers, body = server.get(papers[0], {**BEHIND_HTTPS, "X-Request-ID": head_id}, method="HEAD")
    check(status == 200 and body == b"", f"HEAD {papers[0]} answered {status} with {len(body)} bytes")
    check(headers.get("Content-Length") == str(len(get_body)), "HEAD's Content-Length is not GET's")

    # The log: JSON lines only, one per request, with its id (gunicorn's access log is off).
    time.sleep(0.3)
    records = []
    for line in server.log_lines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise Failure(f"a log line is not JSON (gunicorn's access log?): {line[:300]}") from None
    for rid, path in ((request_id, "/"), (head_id, papers[0])):
        ours = [r for r in records if r.get("request_id") == rid]
        check(len(ours) == 1, f"{len(ours)} log lines for request {rid}, expected 1: {ours}")
        check((ours[0]["path"], ours[0]["status"]) == (path, 200), f"request line {ours[0]}")
    check(not [r for r in records if r["level"] in {"ERROR", "CRITICAL"}], "errors were logged")
    gunicorn = [r["message"] for r in records if r["logger"].startswith("gunicorn")]
    check(not gunicorn, f"gunicorn warned: {gunicorn}")


def main():
    started = time.monotonic()
    name = f"smoke_{os.getpid()}_{secrets.token_hex(3)}"
    server, created = None, False
    try:
        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        except redis.RedisError as error:
            raise Failure(f"no Redis at {REDIS_URL}: {error}") from None
        try:
            admin = psycopg.connect(f"{POSTGRES}/postgres", autocommit=True, connect_timeout=5)
        except psycopg.Error as error:
            raise Failure(f"no PostgreSQL at {POSTGRES}: {error}") from None
        with admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            created = True
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "PORTAL_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="portal.settings",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS=HOST,
            DJANGO_BEHIND_PROXY="1",
            DJANGO_LOG_FORMAT="json",
            DATABASE_URL=f"{POSTGRES}/{name}",
            REDIS_URL=REDIS_URL,
        )
        manage(env, "check", "--deploy", "--fail-level", "WARNING")
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        manage(env, "load_institutions")
        manage(env, "load_digests", "--quiet-warnings", "seeds/")
        with tempfile.TemporaryDirectory(prefix="smoke-") as workdir:
            server = Server(env, Path(workdir))
            try:
                server.wait_until_serving()
                smoke(server)
            finally:
                server.stop()
        seconds = time.monotonic() - started
        check(
            seconds < DEADLINE_SECONDS, f"the smoke test took {seconds:.0f} s (more than {DEADLINE_SECONDS})"
        )
        print(f"smoke: the production path passed {passed} checks in {seconds:.1f} s")
        return 0
    except Failure as failure:
        print(f"smoke: FAILED: {failure}", file=sys.stderr)
        if server is not None:
            print(f"smoke: gunicorn's stderr ends:\n{server.errors()}", file=sys.stderr)
        return 1
    finally:
        if created:
            with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True, connect_timeout=5) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
