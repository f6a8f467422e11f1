"""The deployment files say what the settings read and what README promises: every variable is
documented and reaches the containers, and docker-compose.yml defines the services, healthchecks and
start order the Production section describes. No container runs here; `docker-compose config`
(Debian's docker-compose, which .ci/run installs) checks what compose itself would make of the file."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .test_settings import clean_environment

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
# Set by portal/wsgi.py for the web server's own process, and by benchmarks/page_bench.py to measure
# first views (PORTAL_PAGE_CACHE=0), never by an operator.
INTERNAL = {"PORTAL_PROCESS", "PORTAL_PAGE_CACHE"}
PORTAL_SERVICES = ("migrate", "web", "importer")
# Not passed on by compose, on purpose: a deployment never runs with DEBUG, whatever .env says.
NEVER_PASSED = {"DJANGO_DEBUG"}


def settings_variables():
    source = (ROOT / "portal" / "settings.py").read_text()
    pattern = r'(?:env_bool|env_int|env_list|os\.environ\.get)\(\s*"([A-Z_]+)"|env="([A-Z_]+)"'
    names = {a or b for a, b in re.findall(pattern, source)}
    assert {"DATABASE_URL", "DJANGO_SECRET_KEY", "REDIS_URL", "DJANGO_LOG_FORMAT"} <= names  # it finds them
    return names - INTERNAL


def configuration_table():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return " ".join(line for line in section.splitlines() if line.startswith("| `"))


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text())  # anchors and `<<:` merges resolved


def test_every_variable_the_settings_read_is_documented():
    table, example = configuration_table(), (ROOT / ".env.example").read_text()
    for name in sorted(settings_variables()):
        assert f"`{name}`" in table, f"{name} is missing from README's Configuration table"
        assert re.search(rf"^#?{name}=", example, re.MULTILINE), f"{name} is missing from .env.example"


def test_every_variable_in_the_example_is_read_somewhere():
    example = (ROOT / ".env.example").read_text()
    compose_text = COMPOSE.read_text()
    known = settings_variables()
    for name in re.findall(r"^#?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE):
        assert name in known or "${" + name in compose_text or f"{name}:" in compose_text, name


def test_every_setting_reaches_the_portal_containers(compose):
    """A variable set in .env that compose does not pass on would silently do nothing."""
    for service in PORTAL_SERVICES:
        environment = compose["services"][service]["environment"]
        missing = settings_variables() - NEVER_PASSED - set(environment)
        assert not missing, f"{service} does not receive {sorted(missing)}"
        assert not NEVER_PASSED & set(environment)


def test_compose_services_and_their_start_order(compose):
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "proxy", "importer"}
    healthy, completed = {"condition": "service_healthy"}, {"condition": "service_completed_successfully"}

    db = services["db"]
    assert db["image"] == "postgres:16"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"] and "pgdata" in compose["volumes"]
    assert "redis-cli ping" in " ".join(services["redis"]["healthcheck"]["test"])

    migrate = services["migrate"]
    assert migrate["restart"] == "no"  # one-shot
    script = migrate["command"][-1]
    steps = [script.index(step) for step in ("manage.py migrate", "load_institutions", "load_digests")]
    assert steps == sorted(steps)
    assert "seeds/" in script
    assert migrate["depends_on"] == {"db": healthy}

    web = services["web"]
    assert web["depends_on"] == {"db": healthy, "redis": healthy, "migrate": completed}
    assert "ports" not in web  # replicas would fight over a host port: `--scale web=3` needs none
    assert web["environment"]["DJANGO_BEHIND_PROXY"] == "1"
    assert web["environment"]["REDIS_URL"].startswith("redis://redis:")

    importer = services["importer"]
    assert importer["command"][:4] == ["python", "manage.py", "watch_inbox", "/inbox"]
    assert "inbox:/inbox" in importer["volumes"] and "inbox" in compose["volumes"]
    assert importer["depends_on"] == {"db": healthy, "migrate": completed}

    proxy = services["proxy"]
    assert proxy["depends_on"] == {"web": healthy}
    assert [name for name, service in services.items() if "ports" in service] == ["proxy"]
    assert len(proxy["ports"]) == 1
    [caddyfile] = [v.split(":")[0] for v in proxy["volumes"] if v.endswith(":/etc/caddy/Caddyfile:ro")]
    assert "reverse_proxy" in (ROOT / caddyfile).read_text()


def test_the_web_healthcheck_asks_readyz_with_an_allowed_host(compose):
    web = compose["services"]["web"]
    test = web["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    code = test[3]
    compile(code, "healthcheck", "exec")  # the one-liner is Python
    assert "http://127.0.0.1:8000/readyz" in code
    # The same variable as the allowed hosts: the probe is never refused with a 400.
    [host] = re.findall(r"'Host': '([^']*)'", code)
    assert host == "${PORTAL_DOMAIN}"
    assert web["environment"]["DJANGO_ALLOWED_HOSTS"].startswith("${PORTAL_DOMAIN:")


def test_the_image_runs_as_a_user_and_keeps_one_log_line_per_request():
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", "")  # continued lines joined
    stages = re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)[1:]
    assert [stage.split()[0] for stage in stages] == ["python:3.11-slim", "python:3.11-slim"]
    final = stages[-1]
    assert "collectstatic" in final
    assert re.search(r"^USER (?!root)\w+", final, re.MULTILINE)
    assert not re.search(r"apt-get|gcc|build-essential", final)  # nothing to build with in the image
    cmd = final.split("\nCMD ", 1)[1]
    assert "--access-logfile" not in cmd and "--no-control-socket" in cmd
    assert '"--forwarded-allow-ips="' in cmd  # X-Forwarded-Proto is the settings' to trust


# --- what compose itself makes of the file ---------------------------------------------------------

COMPOSE_ENV = {
    "DJANGO_SECRET_KEY": "k" * 50,
    "POSTGRES_PASSWORD": "0123456789abcdef",
    "PORTAL_DOMAIN": "papers.example.org",
}


def docker_compose_config(env, tmp_path):
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (Debian's docker-compose package; .ci/run installs it)")
    empty = tmp_path / "empty.env"  # not a developer's own .env
    empty.write_text("")
    return subprocess.run(
        [binary, "--env-file", str(empty), "--file", str(COMPOSE), "config"],
        env=clean_environment(env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_accepts_the_file_and_the_healthcheck_host_is_allowed(tmp_path):
    result = docker_compose_config(COMPOSE_ENV, tmp_path)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    web = services["web"]
    assert web["environment"]["DJANGO_ALLOWED_HOSTS"] == "papers.example.org"
    assert "'Host': 'papers.example.org'" in web["healthcheck"]["test"][3]
    assert web["environment"]["DATABASE_URL"] == "postgres://portal:0123456789abcdef@db:5432/portal"
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == "0123456789abcdef"
    [port] = services["proxy"]["ports"]
    assert (port["published"], port["target"]) == (443, 443)


def test_compose_refuses_to_start_without_a_secret(tmp_path):
    result = docker_compose_config({**COMPOSE_ENV, "DJANGO_SECRET_KEY": ""}, tmp_path)
    assert result.returncode != 0
    assert "set DJANGO_SECRET_KEY in .env" in result.stderr


def test_compose_for_a_plain_http_intranet(tmp_path):
    result = docker_compose_config({**COMPOSE_ENV, "PORTAL_SCHEME": "http", "PORTAL_PORT": "80"}, tmp_path)
    assert result.returncode == 0, result.stderr
    proxy = yaml.safe_load(result.stdout)["services"]["proxy"]
    assert proxy["environment"]["PORTAL_SCHEME"] == "http"
    [port] = proxy["ports"]
    assert (port["published"], port["target"]) == (80, 80)
