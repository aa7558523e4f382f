"""The metric files: each process's, in one directory per host (PROMETHEUS_MULTIPROC_DIR), read whole at a scrape.

prometheus-client names a process's files by type and pid (``counter_<pid>.db``, ``histogram_<pid>.db``)
and a scrape adds up every file there. A process that exits leaves its files: its counts are part of the
totals. django-q2 replaces each worker after ``recycle`` tasks, so a busy cluster leaves new files every few
minutes, and a scrape reads each one (about 2 ms a file of every handler's series): ``reading`` first
merges the files of processes that have exited into one file per type (``counter_archive.db``), under an
exclusive lock that scrapes share otherwise, so that no scrape reads both a file and its merged copy.
A process whose pid is running is left alone, so the directory must be one pid namespace's (one host, one
container), as prometheus-client requires anyway.

``files_reset`` removes them all as a deployment starts (``manage.py messaging_metrics_reset``).
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector

MERGED_TYPES = ("counter", "histogram")  # summed across processes; a gauge's file is its process's alone
ARCHIVE = "archive"  # in place of a pid: the merged files of processes that have exited
LOCK = ".lock"


def directory() -> Path:
    return Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])


@contextmanager
def reading() -> Iterator[MultiProcessCollector]:
    """A collector of what every process on this host recorded, the exited ones' files merged first.

    Collect it inside the block: the files are not merged meanwhile.
    """
    with _lock_file() as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(lock, fcntl.LOCK_SH)  # another scrape reads or merges: this one reads, after any merge
        else:
            files_compact()
            fcntl.flock(lock, fcntl.LOCK_SH)
        yield MultiProcessCollector(None, path=str(directory()))


def files_compact() -> int:
    """Merge the files of processes that have exited into the archive of their type; returns how many went.

    Call under the exclusive lock. The archive is written aside and put in place in one rename, then the
    merged files are removed: a crash between the two would count them twice, never lose them.
    """
    merged = 0
    for typ in MERGED_TYPES:
        exited = [path for path in directory().glob(f"{typ}_*.db") if _exited(path)]
        if not exited:
            continue
        archive = directory() / f"{typ}_{ARCHIVE}.db"
        sources = [str(path) for path in [*exited, archive] if path.exists()]
        _archive_write(archive, MultiProcessCollector.merge(sources, accumulate=False))
        for path in exited:
            path.unlink(missing_ok=True)
        merged += len(exited)
    return merged


@dataclass(frozen=True)
class FilesReset:
    removed: int
    writing: tuple[int, ...]  # running processes with files there: then none was removed


def files_reset() -> FilesReset:
    """Remove every process's files, unless a process that has them is still running (then none).

    For the start of a deployment, before its processes: the counts of the one before are gone with its
    processes (Prometheus reads the drop as counters reset). While processes run, their files and those of
    the processes that exited before them are all part of the totals: removing any would make them drop.
    """
    with _lock_file() as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        files = sorted(directory().glob("*.db"))
        writing = tuple(sorted({pid for pid in map(_pid_of, files) if pid is not None and _running(pid)}))
        if writing:
            return FilesReset(0, writing)
        for path in files:
            path.unlink(missing_ok=True)
        return FilesReset(len(files), ())


def _archive_write(archive: Path, metrics) -> None:
    aside = archive.with_name(f"{archive.name}.new")  # not *.db: no scrape reads it
    aside.unlink(missing_ok=True)
    values = MmapedDict(str(aside))
    try:
        for metric in metrics:
            for sample in metric.samples:
                key = mmap_key(metric.name, sample.name, list(sample.labels), list(sample.labels.values()),
                               metric.documentation)  # fmt: skip
                values.write_value(key, sample.value, 0.0)
    finally:
        values.close()
    os.replace(aside, archive)


def _exited(path: Path) -> bool:
    pid = _pid_of(path)
    return pid is not None and not _running(pid)


def _pid_of(path: Path) -> int | None:
    last = path.stem.rpartition("_")[2]  # <type>_<pid>.db; a gauge's gauge_<mode>_<pid>.db
    return int(last) if last.isdigit() else None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's: running
    return True


@contextmanager
def _lock_file() -> Iterator[int]:
    """The directory's lock file, open: its lock goes with it when it closes."""
    descriptor = os.open(directory() / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        yield descriptor
    finally:
        os.close(descriptor)
