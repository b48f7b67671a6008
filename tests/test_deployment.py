"""Deployment files agree with the code: the WSGI entry point, docker-compose.yml (and its
Patroni nodes), pyproject."""

import importlib
import importlib.util
import re
import sys
import tomllib
from pathlib import Path

import yaml

from api import EXTENSION_KEY
from localdb import ha
from rescuecircle.paths import PROJECT_ROOT
from rescuecircle.settings import Settings
from tests.conftest import app_settings


def compose() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def test_wsgi_app_reads_the_settings_once_from_the_environment(make_database, monkeypatch):
    engine = make_database("reliab_wsgi")
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url or "")
    monkeypatch.setenv("RC_PUBLIC_URL", "https://rescue.example.org")
    sys.modules.pop("api.wsgi", None)
    wsgi = importlib.import_module("api.wsgi")
    try:
        assert wsgi.settings.public_url == "https://rescue.example.org"
        client = wsgi.app.test_client()
        assert client.get("/health").status_code == 200
        assert client.get("/").json["links"][0]["href"] == "https://rescue.example.org/"
    finally:
        wsgi.app.extensions[EXTENSION_KEY].engine.dispose()
        sys.modules.pop("api.wsgi", None)


def test_compose_serves_the_wsgi_app_with_gunicorn_and_several_workers():
    """gunicorn with the project's settings (code loaded before the fork, snapshots verified
    once: api/gunicorn_conf.py) serving api/wsgi.py, several workers."""
    app = compose()["services"]["app"]
    command = app["command"]
    assert command[:4] == ["gunicorn", "--config", "python:api.gunicorn_conf", "api.wsgi:app"]
    assert importlib.util.find_spec("api.gunicorn_conf") is not None
    workers = command[command.index("--workers") + 1]
    assert int(re.sub(r"\$\{WEB_CONCURRENCY:-(\d+)\}", r"\1", workers)) >= 2
    assert "/health" in " ".join(app["healthcheck"]["test"])
    assert "healthcheck" in compose()["services"]["db"]


def test_compose_passes_only_settings_the_code_knows():
    fields = {f"RC_{name.upper()}" for name in Settings.model_fields}
    for name in ("migrate", "app"):
        used = set(compose()["services"][name]["environment"])
        assert "RC_DATABASE_URL" in used
        assert used <= fields, (name, used - fields)


def test_gunicorn_is_a_dependency():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    assert any(dep.startswith("gunicorn") for dep in project["dependencies"])


def test_compose_ha_nodes_bootstrap_as_rescuecircle_ha_start_does(tmp_path):
    """docker/patroni/patroni.yml (the `ha` profile) has the cluster settings of localdb.ha."""
    deployed = yaml.safe_load((PROJECT_ROOT / "docker/patroni/patroni.yml").read_text())
    local = ha.patroni_config(ha.HaLayout(tmp_path, 55440, "rescuecircle", Path("/bin")), "node1")
    assert deployed["bootstrap"]["dcs"] == local["bootstrap"]["dcs"]
    assert deployed["bootstrap"]["dcs"]["synchronous_mode"] is True
    assert deployed["bootstrap"]["initdb"] == local["bootstrap"]["initdb"]
    assert (deployed["scope"], deployed["namespace"]) == (local["scope"], local["namespace"])
    operations = (PROJECT_ROOT / "docs/operations.md").read_text()
    assert (PROJECT_ROOT / "docker/patroni/patroni.yml").read_text() in operations
    services = compose()["services"]
    assert all(services[name]["profiles"] == ["ha"] for name in ("etcd", "pg1", "pg2"))
    assert {"pg1", "pg2"} <= set(services["migrate"]["depends_on"])
