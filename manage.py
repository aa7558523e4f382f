#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

``python manage.py ...`` works as the README prints it, from any Python: without Django it runs
again under the project's virtualenv (``.venv``, made by ``make run``/``make install``). After
``make run`` (which writes ``var/dev.env``) a command run by hand gets the same development settings
as the processes ``make run`` started, unless the environment already says DEBUG or SECRET_KEY.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
DEV_ENV = "dev.env"


def django_or_virtualenv() -> None:
    """Carry on if this Python has Django; else run this command again under the virtualenv's Python."""
    try:
        import django  # noqa: F401
    except ImportError:
        pass
    else:
        return
    if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != VENV_PYTHON.parent.parent.resolve():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])
    sys.exit(
        f"Django is not installed for {sys.executable}, and there is no virtualenv at {VENV_PYTHON.parent.parent}.\n"
        "Run `make run` (or `make install`) once from the repository's root: it creates the virtualenv, "
        "which `python manage.py` then uses by itself."
    )


def development_defaults() -> None:
    """What ``make run`` wrote to ``var/dev.env`` (DEBUG=1), for a command run by hand beside it.

    Never when the environment already chose: a DEBUG (even DEBUG=0) or a SECRET_KEY means a
    deliberate configuration, such as production's, which must not fall back to development;
    nor under another settings module.
    """
    if os.environ.get("DEBUG") or os.environ.get("SECRET_KEY"):
        return
    if os.environ.get("DJANGO_SETTINGS_MODULE", "marketplace.settings") != "marketplace.settings":
        return  # another settings module (the tests') decides for itself
    var_dir = Path(os.environ.get("MARKETPLACE_VAR_DIR") or ROOT / "var")
    path = var_dir / DEV_ENV
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        name, equals, value = line.strip().partition("=")
        if equals and name and not name.startswith("#"):
            os.environ.setdefault(name.strip(), value.strip())


def main():
    django_or_virtualenv()
    development_defaults()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
