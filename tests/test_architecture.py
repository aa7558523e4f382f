"""The import contracts in pyproject.toml hold for the code base, and each of them catches the import it forbids.

Each breaking case copies the packages and pyproject.toml into a scratch directory, adds one forbidden import
to one module there, and runs ``lint-imports`` on the copy: the contract named must come out broken.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("marketplace", "messaging", "orders", "vendors")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

INDEPENDENT = "Contexts are independent: each sees of another only its contracts"
PUBLIC_FACE = "Contexts and the dashboard use messaging's public face only"
DASHBOARD = "The dashboard reads contexts through their selectors and services, never their models"
NO_CONTEXT = "Messaging knows no context"
LAYERS = "Messaging's layers: runtime, then processes, then operations, then the admin and the commands"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}  # the packages of ``cwd`` only
    env["COLUMNS"] = "500"  # one contract a line, not wrapped
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def status_of(result: subprocess.CompletedProcess, contract: str) -> str:
    for line in result.stdout.splitlines():
        if line.startswith(f"{contract} "):
            return line.removeprefix(f"{contract} ").split()[0]
    raise AssertionError(f"{contract!r} is not in the report:\n{result.stdout}{result.stderr}")


def _not_python(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name == "__pycache__" or (Path(folder, name).is_file() and name[-3:] != ".py")]


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """The packages' Python files and pyproject.toml, in a directory of their own."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=_not_python)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_code_base_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in (INDEPENDENT, PUBLIC_FACE, DASHBOARD, NO_CONTEXT, LAYERS):
        assert status_of(result, contract) == "KEPT"


@pytest.mark.parametrize(
    ("module", "forbidden_import", "contract"),
    [
        ("orders/selectors.py", "from vendors import models", INDEPENDENT),
        ("vendors/services/products.py", "from orders.services import placing", INDEPENDENT),
        ("orders/selectors.py", "from messaging.models import Message", PUBLIC_FACE),
        ("marketplace/dashboard/flow.py", "from messaging.runtime.registry import registry", PUBLIC_FACE),
        ("marketplace/dashboard/tradeoffs.py", "from messaging.selectors.numbers import queue_depth", PUBLIC_FACE),
        ("marketplace/probes.py", "from messaging.operations import health_checks", PUBLIC_FACE),
        ("marketplace/dashboard/tradeoffs.py", "from orders.models import Order", DASHBOARD),
        ("marketplace/dashboard/views_flow.py", "from vendors import handlers", DASHBOARD),
        ("messaging/selectors/registry.py", "from orders import selectors", NO_CONTEXT),
        ("messaging/runtime/bus.py", "from marketplace.dashboard import stats", NO_CONTEXT),
        ("messaging/runtime/bus.py", "from messaging.operations import status", LAYERS),
        ("messaging/processes/sweeper.py", "from messaging.admin import display", LAYERS),
    ],
)
def test_a_forbidden_import_breaks_its_contract(scratch: Path, module: str, forbidden_import: str, contract: str):
    # given one forbidden import, added at the end of a module of the scratch copy
    assert (scratch / module).is_file(), f"{module} is not in the tree: the case would test a new file"
    with (scratch / module).open("a") as source:
        source.write(f"\n{forbidden_import}  # noqa\n")
    # when the contracts are checked there
    result = lint_imports(scratch)
    # then that contract is broken, naming the import
    assert result.returncode != 0
    assert status_of(result, contract) == "BROKEN"
    assert module.removesuffix(".py").replace("/", ".") in result.stdout
