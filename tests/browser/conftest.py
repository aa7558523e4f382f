"""Real-browser tests: headless Chromium (Playwright) against a live daphne, qcluster and sweeper.

Run them in a pytest session of their own (``pytest -m browser``; ``make test`` does): Playwright's sync API
leaves an event loop in the main thread that breaks later ``async_to_sync`` tests of the same session. In a
mixed run they are moved last for that reason, and skipped where Chromium is not installed.
"""

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import ROOT, ManagedProcess, answers, free_port, wait_for_cluster, wait_until

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; a downloaded Playwright browser does not run here
ARTIFACTS = ROOT / "test-artifacts" / "browser"
HERE = Path(__file__).resolve().parent
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def pytest_collection_modifyitems(config, items):
    browser_tests = [item for item in items if HERE in Path(item.path).resolve().parents]
    if not CHROMIUM.exists():
        skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: apt-get install -y chromium (make test does)")
        for item in browser_tests:
            item.add_marker(skip)
    items[:] = [item for item in items if item not in browser_tests] + browser_tests


@pytest.fixture(scope="session", autouse=True)
def _django_beside_playwright():
    """Let this process's ORM run while Playwright's event loop sits in the main thread.

    Playwright's sync API drives the browser from a running asyncio loop, so Django sees an async context and
    refuses queries (SynchronousOnlyOperation), even the test database's flush. The test code does not share
    the loop with anything, so the check has nothing to protect here. Child processes are started without it.
    """
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    yield
    if previous is None:
        del os.environ[ASYNC_UNSAFE]
    else:
        os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@dataclass
class LiveStack:
    url: str
    web: ManagedProcess
    cluster: ManagedProcess
    sweeper: ManagedProcess


@pytest.fixture(scope="session")
def live_stack(django_db_setup, django_db_blocker, tmp_path_factory):
    """The whole application on the file-based test database: daphne (web), a qcluster (2 workers), the sweeper.

    DEBUG=1 for daphne so WhiteNoise serves static files (htmx) from the finders, without collectstatic.
    """
    logs = tmp_path_factory.mktemp("live-stack")
    port = free_port()
    daphne = str(Path(sys.executable).parent / "daphne")
    with django_db_blocker.unblock():
        processes = []
        try:
            web = ManagedProcess(
                "-b", "127.0.0.1", "-p", str(port), "marketplace.asgi:application",
                program=[daphne], env={"DEBUG": "1", ASYNC_UNSAFE: ""}, log=logs / "daphne.log",
            )  # fmt: skip
            processes.append(web)
            cluster = ManagedProcess("qcluster", env={ASYNC_UNSAFE: ""}, log=logs / "qcluster.log")
            processes.append(cluster)
            sweeper = ManagedProcess(
                "messaging_sweeper", "--interval", "0.3", env={ASYNC_UNSAFE: ""}, log=logs / "sweeper.log"
            )
            processes.append(sweeper)
            url = f"http://127.0.0.1:{port}"
            wait_until(lambda: answers(f"{url}/admin/login/") or not web.alive(), timeout=30, message="daphne")
            assert web.alive(), f"daphne exited:\n{web.output()[-3000:]}"
            wait_for_cluster(cluster)
            yield LiveStack(url=url, web=web, cluster=cluster, sweeper=sweeper)
        finally:
            for process in processes:
                process.stop()
            for process in processes:
                print(f"--- {process.log.name} ---\n{process.output()[-3000:]}")


@pytest.fixture(scope="session")
def base_url(live_stack):
    """Relative URLs in ``page.goto("/...")`` go to the live daphne."""
    return live_stack.url


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "storefront")`` saves test-artifacts/browser/<test name>/<nn>-storefront.png."""
    folder = ARTIFACTS / re.sub(r"^test_", "", request.node.originalname)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    taken = []

    def take(page, name: str) -> Path:
        taken.append(name)
        path = folder / f"{len(taken):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
