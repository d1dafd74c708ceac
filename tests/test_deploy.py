"""The deployment files: the compose file holds the set-up the README describes, and every
setting they use is one wavetag documents (in settings.py and in the README's table)."""

from __future__ import annotations

import re
from pathlib import Path

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
