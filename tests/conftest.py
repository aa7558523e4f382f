import pytest
from django.contrib.auth.models import Group

from marketplace import operators
from tests.processes import ManagedProcess, cluster_started


@pytest.fixture
def operators_group(db):
    """The ``operators`` group with its permissions, as ``seed_demo`` makes it: staff join it to use the controls."""
    group = Group.objects.create(name=operators.GROUP)
    group.permissions.set(operators.group_permissions())
    return group


@pytest.fixture
def wakeups_purged():
    """Wake-ups the test's commits sent are taken out of the broker after it: a Redis outlives the test database."""
    yield
    from messaging.runtime import wakeup

    wakeup.broker().purge_queue()


@pytest.fixture
def run_deliveries():
    """Run due deliveries in-process, as a worker would (no django-q2)."""
    from messaging.testing import run_until_idle

    return run_until_idle


def _start(name, *args, tmp_path_factory):
    log = tmp_path_factory.mktemp(name) / f"{name}.log"
    return ManagedProcess(*args, log=log)


@pytest.fixture
def qcluster(transactional_db, tmp_path_factory):
    """A real django-q2 cluster (2 workers) on the test database, for this test only; running once returned."""
    cluster = cluster_started(log=tmp_path_factory.mktemp("qcluster") / "qcluster.log")
    yield cluster
    cluster.stop()
    print(cluster.output()[-5000:])


@pytest.fixture
def sweeper(transactional_db, tmp_path_factory):
    """A real ``messaging_sweeper`` process on the test database."""
    process = _start("sweeper", "messaging_sweeper", "--interval", "0.3", tmp_path_factory=tmp_path_factory)
    yield process
    process.stop()
    print(process.output()[-3000:])
