"""Deployment defaults: no built-in secret key, and `check --deploy` clean with the
production settings that docs/operations.md gives."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ROOT / "docs" / "operations.md"


def _environment(**values: str) -> dict[str, str]:
    """This process's environment without any Django, secret or security setting."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "EVALSITE_"))
    }
    # SQLite under a temporary folder: the commands below need no database server.
    kept.pop("DATABASE_URL", None)
    return {**kept, "DJANGO_SETTINGS_MODULE": "evalsite.settings", **values}


def _start(*args: str, **values: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=_environment(**values),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(child: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout, stderr = child.communicate(timeout=120)
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)


def _run(*args: str, **values: str) -> subprocess.CompletedProcess:
    return _finish(_start(*args, **values))


def _production_environment() -> dict[str, str]:
    text = OPERATIONS.read_text()
    block = re.search(r"<!-- production-env -->\n```sh\n(.*?)```", text, re.S)
    assert block, "docs/operations.md lost its production settings block"
    values = {}
    for line in block.group(1).splitlines():
        name, _, value = line.split("#")[0].strip().partition("=")
        values[name] = value
    assert values.pop("DJANGO_SECRET_KEY") == "..."
    values["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    return values


@pytest.fixture
def var_dir(tmp_path) -> str:
    return str(tmp_path)


def test_without_debug_the_app_refuses_to_start_without_a_secret_key(var_dir):
    child = _run("manage.py", "check", EVALSITE_VAR_DIR=var_dir, DJANGO_DEBUG="false")
    assert child.returncode != 0
    assert "ImproperlyConfigured" in child.stderr
    assert "DJANGO_SECRET_KEY is not set" in child.stderr


def test_beside_the_demo_commands_use_its_key(var_dir):
    """manage.py (and `make worker`) beside scripts/demo.sh: its var/secret_key
    serves when no DJANGO_SECRET_KEY is set (a new user's first command failed)."""
    (Path(var_dir) / "secret_key").write_text("k" * 50 + "\n")
    child = _run("manage.py", "check", EVALSITE_VAR_DIR=var_dir, DJANGO_DEBUG="false")
    assert child.returncode == 0, child.stderr


def test_with_a_secret_key_or_in_debug_the_app_starts(var_dir):
    # Both at once: each is a Django start (seconds), mostly waiting on nothing.
    with_key = _start(
        "manage.py", "check", EVALSITE_VAR_DIR=var_dir, DJANGO_SECRET_KEY="x" * 50
    )
    debug = _start("manage.py", "check", EVALSITE_VAR_DIR=var_dir, DJANGO_DEBUG="true")
    with_key, debug = _finish(with_key), _finish(debug)
    assert with_key.returncode == 0, with_key.stderr
    assert debug.returncode == 0, debug.stderr


def test_check_deploy_reports_nothing_with_the_documented_production_settings(
    var_dir,
):
    child = _run(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        EVALSITE_VAR_DIR=var_dir,
        **_production_environment(),
    )
    assert child.returncode == 0, child.stdout + child.stderr
    assert "System check identified no issues (0 silenced)." in child.stdout
    assert "WARNINGS" not in child.stdout + child.stderr


def test_check_deploy_warns_without_those_settings(var_dir):
    """The test above would catch a setting that stopped working: without the
    documented values the same command warns about each of them."""
    child = _run(
        "manage.py",
        "check",
        "--deploy",
        EVALSITE_VAR_DIR=var_dir,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
    )
    for warning in ("W004", "W008", "W012", "W016"):
        assert f"security.{warning}" in child.stdout + child.stderr


def test_the_shipped_configuration_has_no_usable_secret_and_no_debug():
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert example["DJANGO_SECRET_KEY"] == ""
    assert example["DJANGO_DEBUG"] == "false"
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "DJANGO_SECRET_KEY: ${DJANGO_SECRET_KEY:?" in compose
    assert 'DJANGO_DEBUG: "false"' in compose


def test_the_demo_keeps_a_secret_key_of_its_own(tmp_path):
    """scripts/demo.sh's key step, run alone: made once in var/, then reused."""
    script = (ROOT / "scripts" / "demo.sh").read_text()
    step = re.search(
        r'(if \[ -z "\$\{DJANGO_SECRET_KEY:-\}" \].*?\nfi\n)', script, re.S
    )
    assert step
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    command = step.group(1) + 'echo "$DJANGO_SECRET_KEY"'
    env = _environment()
    first = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    second = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    key = first.stdout.strip()
    assert len(key) >= 50
    assert second.stdout.strip() == key
    assert (tmp_path / "var" / "secret_key").read_text().strip() == key
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0


def test_the_filesystem_broker_keeps_its_control_folder_under_var(tmp_path):
    """kombu's default control folder is ./control in the working directory."""
    var = tmp_path / "var"
    command = ["-m", "celery", "-A", "evalsite", "inspect", "ping", "--timeout", "0.2"]
    child = subprocess.run(
        [sys.executable, *command],
        cwd=tmp_path,
        env={
            **_environment(EVALSITE_VAR_DIR=str(var), DJANGO_SECRET_KEY="x" * 50),
            "PYTHONPATH": str(ROOT),
            "CELERY_BROKER_URL": "filesystem://",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "No nodes replied" in child.stdout + child.stderr
    assert list((var / "celery" / "control").glob("*.exchange"))
    assert not (tmp_path / "control").exists()


def test_keep_running_starts_a_stopped_command_again_and_stops_it_on_term(tmp_path):
    """The demo's worker runs under scripts/keep_running.sh: kombu's filesystem
    transport can stop a worker for good (docs/operations.md)."""
    import signal
    import time

    script = str(ROOT / "scripts" / "keep_running.sh")
    log, runs = tmp_path / "worker.log", tmp_path / "runs"
    crashing = subprocess.Popen(
        ["bash", script, str(log), "sh", "-c", f"echo run >> {runs}; exit 3"]
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (
        not runs.exists() or len(runs.read_text().split()) < 2
    ):
        time.sleep(0.1)
    crashing.send_signal(signal.SIGTERM)
    assert crashing.wait(timeout=10) == 0
    assert len(runs.read_text().split()) >= 2
    assert "exited with status 3; starting it again" in log.read_text()

    pid_file = tmp_path / "pid"
    lasting = subprocess.Popen(
        ["bash", script, str(log), "sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"]
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not pid_file.exists():
        time.sleep(0.1)
    time.sleep(0.2)
    lasting.send_signal(signal.SIGTERM)
    assert lasting.wait(timeout=10) == 0
    child = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # the command stopped with it


def _cache_call(var: Path, code: str, cache_url: str = "file://"):
    return _run(
        "-c",
        "import django; django.setup(); from django.core.cache import cache; " + code,
        EVALSITE_VAR_DIR=str(var),
        DJANGO_SECRET_KEY="x" * 50,
        CACHE_URL=cache_url,
    )


def test_the_file_cache_is_shared_by_processes_and_the_demo_uses_it(tmp_path):
    """The demo's two web processes and its worker must see one cache: a background
    report the worker stores is read by the web process (a new-user pass waited for one
    forever on the process-memory cache)."""
    written = _cache_call(tmp_path, "cache.set('report', 'built by the worker', 60)")
    assert written.returncode == 0, written.stderr
    assert list((tmp_path / "cache").glob("*.djcache"))
    read = _cache_call(tmp_path, "print(cache.get('report'))")
    assert read.stdout.strip() == "built by the worker", read.stderr
    assert (
        "export CACHE_URL=${CACHE_URL:-file://}"
        in (ROOT / "scripts" / "demo.sh").read_text()
    )


def test_an_unknown_cache_url_is_refused(tmp_path):
    refused = _cache_call(tmp_path, "print(cache)", cache_url="memcached://x:1")
    assert refused.returncode != 0
    assert "CACHE_URL: use redis://host:port/db or file://" in refused.stderr
