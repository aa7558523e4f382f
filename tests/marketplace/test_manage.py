"""``python manage.py ...`` as the README prints it: from a Python without Django, after ``make run``.

Real processes: the system's Python (no Django) runs manage.py, which must find the virtualenv by itself
and, after ``make run``'s ``dev-env`` step, the same development settings as the processes make run started.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SYSTEM_PYTHONS = ("/usr/bin/python3", "/bin/python3")


def python_without_django() -> str:
    for python in SYSTEM_PYTHONS:
        if Path(python).exists() and subprocess.run([python, "-c", "import django"], capture_output=True).returncode:
            return python
    pytest.skip("no Python without Django on this machine")


def run(*args: str, var_dir: Path, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess:
    """``args`` in a shell's environment after make run: no DEBUG, no SECRET_KEY, no virtualenv on PATH."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "MARKETPLACE_VAR_DIR": str(var_dir), **env}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def after_make_run(tmp_path) -> Path:
    """A var dir as ``make run`` leaves it: its dev-env step done, the database migrated."""
    var_dir = tmp_path / "var"
    made = run("make", "-s", "dev-env", var_dir=var_dir)
    assert made.returncode == 0, made.stderr
    migrated = run(python_without_django(), "manage.py", "migrate", "--no-input", var_dir=var_dir)
    assert migrated.returncode == 0, migrated.stderr
    return var_dir


def test_a_command_run_by_hand_after_make_run_works_from_a_python_without_django(after_make_run):
    result = run(python_without_django(), "manage.py", "messaging_status", var_dir=after_make_run)

    assert result.returncode == 0, result.stderr
    assert "SECRET_KEY" not in result.stderr


def test_it_signs_with_the_development_key_the_running_processes_use(after_make_run):
    key = (after_make_run / "secret_key").read_text().strip()
    script = f"from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY == {key!r})"

    result = run(python_without_django(), "manage.py", "shell", "-c", script, var_dir=after_make_run)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["True", "True"]  # after the shell's "N objects imported" line


@pytest.mark.parametrize("env", [{"DEBUG": "0"}, {"DEBUG": "false"}], ids=["DEBUG=0", "DEBUG=false"])
def test_an_explicit_debug_off_gets_no_development_default(after_make_run, env):
    result = run(python_without_django(), "manage.py", "check", var_dir=after_make_run, **env)

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_without_make_run_there_is_no_development_default(tmp_path):
    result = run(python_without_django(), "manage.py", "check", var_dir=tmp_path / "var")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_without_django_or_a_virtualenv_it_says_to_run_make(tmp_path):
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")  # a clone before make run: no .venv beside it

    result = run(python_without_django(), "manage.py", "check", var_dir=tmp_path / "var", cwd=tmp_path)

    assert result.returncode == 1
    assert "Django is not installed for" in result.stderr
    assert "Run `make run` (or `make install`) once" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_command_the_readme_prints_exists_for_a_python_without_django(after_make_run):
    readme = (ROOT / "README.md").read_text()
    printed = set(re.findall(r"python manage\.py (\w+)", readme))
    assert {"simulate_orders", "replay_messages", "messaging_status", "qcluster"} <= printed

    result = run(python_without_django(), "manage.py", "help", "--commands", var_dir=after_make_run)

    assert result.returncode == 0, result.stderr
    assert printed - set(result.stdout.split()) == set()
