"""The deployment files: the compose file holds the set-up the README describes, and every
setting they use is one wavetag documents (in settings.py and in the README's table)."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

import wavetag.settings

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
MACHINES = ["web1", "web2", "worker1", "worker2"]


@pytest.fixture(scope="module")
def compose() -> dict:
    # safe_load resolves the YAML merge keys (<<) as docker compose does
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


class TestCompose:
    def test_the_services_of_the_guide(self, compose: dict) -> None:
        services = compose["services"]
        assert set(MACHINES + ["postgres", "redis", "minio", "proxy"]) <= set(services)
        assert [services[m]["command"][1] for m in MACHINES] == ["serve", "serve", "worker",
                                                                "worker"]  # fmt: skip
        for web in ("web1", "web2"):
            assert "--no-worker" in services[web]["command"]

    def test_every_wavetag_process_shares_one_database_store_and_key(self, compose: dict) -> None:
        envs = [compose["services"][m]["environment"] for m in [*MACHINES, "migrate"]]
        assert all(env == envs[0] for env in envs)
        assert envs[0]["WAVETAG_STORE_URL"].startswith("s3://")
        assert {"DATABASE_URL", "WAVETAG_SECRET_KEY", "WAVETAG_TRUSTED_PROXIES"} <= set(envs[0])

    def test_the_proxy_reaches_both_web_servers(self) -> None:
        conf = (DEPLOY / "nginx.conf").read_text()
        assert re.findall(r"server (web\d):8000", conf) == ["web1", "web2"]


class TestProxyUploads:
    def test_uploads_pass_the_proxy_unbuffered_up_to_the_default_limit(self) -> None:
        conf = (DEPLOY / "nginx.conf").read_text()
        found = re.search(r"location ~ (\S+) \{(.*?)\}", conf, re.S)
        assert found, "no location for uploads in deploy/nginx.conf"
        pattern, block = re.compile(found.group(1)), found.group(2)
        for url in ("/api/v1/datasets/mitdb/records", "/api/v1/records/7/annotation-files"):
            assert pattern.match(url), url
        assert not pattern.match("/api/v1/datasets/mitdb/records/7")
        size = re.search(r"client_max_body_size (\d+);", block)
        # waitress takes WAVETAG_MAX_UPLOAD plus 1 MiB of multipart framing (serve.py).
        assert size and int(size.group(1)) == 4_000_000_000 + 1024 * 1024
        assert "proxy_request_buffering off;" in block and "proxy_pass " in block


def test_every_setting_the_deploy_files_use_is_documented() -> None:
    used = set()
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            used |= set(re.findall(r"\bWAVETAG_[A-Z0-9_]+", path.read_text()))
    assert "WAVETAG_STORE_URL" in used
    documented = wavetag.settings.__doc__ or ""
    readme = (REPO / "README.md").read_text()
    for name in sorted(used - {"WAVETAG_HOST", "WAVETAG_ORIGIN"}):  # compose's own .env names
        assert re.search(rf"^{name}\b", documented, re.M), f"{name} not in settings.py"
        assert f"| `{name}` |" in readme, f"{name} not in the README's table"


# -- the compose file's services, run as processes ------------------------------------------
#
# No container engine runs on the test machines, so the compose file's wavetag services
# are started here as the processes they describe: each with the service's own command and
# environment (the same ${...} substitution compose does), its own WAVETAG_HOME as if on a
# machine of its own, and the service host names pointed at this machine's PostgreSQL,
# Redis and an S3-compatible server. What this checks is what a container engine would
# not: that the commands and settings of the file make one working site.

WAVETAG_SERVICES = ["migrate", *MACHINES]


def substitute(value: str, given: dict[str, str]) -> str:
    """Compose's interpolation: ${NAME:?error}, ${NAME:-default}, ${NAME}, $$."""

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2) or "", m.group(3) or ""
        if given.get(name):
            return given[name]
        if op == ":?":
            raise AssertionError(f"{name} is required: {arg}")
        return arg if op == ":-" else ""

    return re.sub(r"\$\{(\w+)(:[?-])?([^}]*)\}", one, value).replace("$$", "$")


def service_env(compose: dict, name: str, given: dict[str, str]) -> dict[str, str]:
    env = compose["services"][name]["environment"]
    return {k: substitute(str(v), given) for k, v in env.items()}


def machine_envs(
    compose: dict, tmp_path: Path, database_url: str, s3_endpoint: str, bucket: str
) -> dict[str, dict[str, str]]:
    """Each wavetag service's environment, its host names pointed at this machine."""
    given = {
        "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
        "WAVETAG_SECRET_KEY": secrets.token_urlsafe(50),
        "MINIO_ROOT_PASSWORD": secrets.token_urlsafe(16),
        "MINIO_WAVETAG_PASSWORD": secrets.token_urlsafe(16),
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith(("WAVETAG_", "DATABASE_"))}
    machines = {}
    for name in WAVETAG_SERVICES:
        env = service_env(compose, name, given)
        assert urlparse(env["DATABASE_URL"]).hostname == "postgres"
        env["DATABASE_URL"] = database_url
        assert env["WAVETAG_S3_ENDPOINT_URL"] == "http://minio:9000"
        env["WAVETAG_S3_ENDPOINT_URL"] = s3_endpoint
        assert env["WAVETAG_STORE_URL"].startswith("s3://wavetag/")
        env["WAVETAG_STORE_URL"] = env["WAVETAG_STORE_URL"].replace("//wavetag/", f"//{bucket}/")
        assert env["WAVETAG_REDIS_URL"].startswith("redis://redis:6379/")
        env["WAVETAG_REDIS_URL"] = "redis://127.0.0.1:6379/7"
        assert env["WAVETAG_TRUSTED_PROXIES"] == "172.30.0.10"  # the proxy's fixed address
        env["WAVETAG_TRUSTED_PROXIES"] = "127.0.0.1"
        home = tmp_path / name  # a machine of its own: nothing shared through local files
        home.mkdir()
        machines[name] = {**base, **env, "WAVETAG_HOME": str(home)}
    return machines


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def proxy_config(folder: Path, servers: list[int], listen: int) -> Path:
    """deploy/nginx.conf as the proxy service runs it, pointed at the local web servers,
    inside a main configuration that keeps nginx's files in ``folder``."""
    site = (DEPLOY / "nginx.conf").read_text()
    for name, port in zip(("web1", "web2"), servers, strict=True):
        site = site.replace(f"server {name}:8000", f"server 127.0.0.1:{port}")
    assert "listen 80;" in site
    site = site.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    main = f"""
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 256; }}
http {{
    log_format upstream '$upstream_addr $status $request_id $request_uri';
    access_log {folder}/access.log upstream;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
{site}
}}
"""
    path = folder / "nginx.conf"
    path.write_text(main)
    return path


@pytest.fixture
def compose_site(
    compose: dict, tmp_path: Path, s3_endpoint: str, s3_bucket: str, data_dir: Path
) -> Iterator[dict[str, Any]]:
    from wavetag.processes import stop_process

    from .test_claims_concurrency import _postgres_database, free_port
    from .test_cli import wait_for

    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("runs in the PostgreSQL leg: the compose file's database is PostgreSQL")
    database = _postgres_database(f"wavetag_compose_{os.getpid()}")
    database_url = next(database)
    machines = machine_envs(compose, tmp_path, database_url, s3_endpoint, s3_bucket)

    def run(name: str, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        command = list(args) or compose["services"][name]["command"]
        assert command[0] == "wavetag"
        return subprocess.run(
            [sys.executable, "-m", *command],
            env={**machines[name], **extra},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )

    procs: list[subprocess.Popen[bytes]] = []
    try:
        migrated = run("migrate")
        assert migrated.returncode == 0, migrated.stderr
        # The README's one-off commands run in the migrate service's container.
        record = str(data_dir / "mitdb/100")
        imported = run("migrate", "wavetag", "import", record, "--dataset", "holter")
        assert imported.returncode == 0, imported.stderr
        password = {"WAVETAG_PASSWORD": "a long password 1"}
        made = run("migrate", "wavetag", "user", "create", "lead", "--staff", **password)
        assert made.returncode == 0, made.stderr
        bases = []
        for name in MACHINES:
            command = list(compose["services"][name]["command"])
            if "serve" in command:
                port = free_port()
                command[command.index("--port") + 1] = str(port)
                command[command.index("--host") + 1] = "127.0.0.1"
                bases.append(f"http://127.0.0.1:{port}")
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", *command],
                    env=machines[name],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for base in bases:
            wait_for(base + "/healthz", 60)
        # The proxy service: nginx with the file's configuration in front of both.
        if not Path(NGINX).exists():
            pytest.fail("nginx is needed for the proxy service (.ci/run installs it)")
        folder = tmp_path / "proxy"
        folder.mkdir()
        listen = free_port()
        conf = proxy_config(folder, [int(b.rsplit(":", 1)[1]) for b in bases], listen)
        checked = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        procs.append(
            subprocess.Popen(
                [NGINX, "-c", str(conf)], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
        proxy = f"http://127.0.0.1:{listen}"
        wait_for(proxy + "/healthz", 30)
        yield {
            "bases": bases,
            "proxy": proxy,
            "proxy_log": folder / "access.log",
            "run": run,
            "database_url": database_url,
            "bucket": s3_bucket,
        }
    finally:
        for proc in procs:
            stop_process(proc, timeout=30)
        database.close()  # drops the database


class TestComposeServicesAsProcesses:
    def test_two_web_machines_and_two_workers_make_one_site(
        self, compose_site: dict[str, Any], s3_endpoint: str
    ) -> None:
        import http.cookiejar
        import json
        import time
        import urllib.parse
        import urllib.request

        import boto3
        import psycopg

        web1, web2 = compose_site["bases"]
        # The store is the bucket: the import wrote its waveforms there, nothing local.
        keys = boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(
            Bucket=compose_site["bucket"]
        )
        assert keys.get("KeyCount", 0) > 0
        for base in (web1, web2):
            with urllib.request.urlopen(base + "/readyz", timeout=10) as response:
                ready = json.loads(response.read())
            assert ready["checks"] == {"database": "ok", "store": "ok"}

        # Logged in through the proxy, the session holds on either web machine (one key,
        # sessions in the shared database and Redis), and the proxy uses both.
        proxy = compose_site["proxy"]
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.addheaders = [("Host", "localhost")]
        page = opener.open(proxy + "/login/", timeout=10).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        form = urllib.parse.urlencode(
            {"username": "lead", "password": "a long password 1", "csrfmiddlewaretoken": token[1]}
        ).encode()
        opener.open(
            urllib.request.Request(proxy + "/login/", data=form, headers={"Referer": proxy}),
            timeout=30,
        ).read()
        for base in (proxy, proxy, proxy, proxy, web1, web2):
            records = json.loads(opener.open(base + "/api/v1/records", timeout=10).read())
            [record] = records["items"]
        window = opener.open(
            proxy + f"/api/v1/records/{record['id']}/window?start=0&end=10", timeout=30
        )
        assert window.status == 200 and json.loads(window.read())["channels"]
        logged = [line.split() for line in compose_site["proxy_log"].read_text().splitlines()]
        served_by = {line[0] for line in logged if line[3].startswith("/api/v1/records")}
        assert served_by == {b.removeprefix("http://") for b in (web1, web2)}
        # The proxy is trusted (WAVETAG_TRUSTED_PROXIES): its request id is wavetag's too.
        assert window.headers["X-Request-ID"] in {line[2] for line in logged}

        # An analysis asked for once runs once, on one of the two workers.
        queued = compose_site["run"]("migrate", "wavetag", "analyze", "100")
        assert queued.returncode == 0, queued.stderr
        deadline = time.monotonic() + 240
        with psycopg.connect(compose_site["database_url"], autocommit=True) as conn:
            while time.monotonic() < deadline:
                runs = conn.execute("SELECT status FROM analysis_analysisrun").fetchall()
                if runs and runs[0][0] in {"done", "failed"}:
                    break
                time.sleep(0.5)
            assert runs == [("done",)]
            workers = conn.execute("SELECT count(*) FROM analysis_worker").fetchone()
        assert workers == (2,)
