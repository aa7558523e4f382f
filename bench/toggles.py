"""Features a benchmark phase can run with switched on, to compare with the same phase off.

A ``Toggle`` says what switches its feature on: variables every process needs from the start (read once,
at import: set before Django starts, harmless while the feature is off), variables that switch it on in
the processes a phase starts (the cluster copies this process's environment), and settings that switch it
on in this process (which publishes). ``TOGGLES`` names them for ``--<name>`` options; another feature is
one more entry.
"""

import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.test import override_settings

METRICS_TOKEN = "bench-metrics-token"


@dataclass(frozen=True)
class Toggle:
    name: str  # printed as "b <name>" and in "--<name>"
    help: str
    start_env: dict[str, str] = field(default_factory=dict)  # "{dir}" is the benchmark's temp dir
    on_env: dict[str, str] = field(default_factory=dict)
    on_settings: dict = field(default_factory=dict)

    def prepare(self, directory: Path) -> None:
        """Set the variables read at start-up; before ``django.setup()``."""
        for name, value in self.start_env.items():
            os.environ[name] = value.format(dir=directory)

    @contextmanager
    def on(self):
        """The feature on, in this process and in the processes started meanwhile."""
        saved = {name: os.environ.get(name) for name in self.on_env}
        os.environ.update(self.on_env)
        try:
            with override_settings(**self.on_settings):
                yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


TOGGLES = {
    "metrics": Toggle(
        "metrics on",
        "also run (b) with Prometheus metrics recorded (METRICS_TOKEN set) and print the ratio to (b) off",
        start_env={"PROMETHEUS_MULTIPROC_DIR": "{dir}/metrics"},
        on_env={"METRICS_TOKEN": METRICS_TOKEN},
        on_settings={"METRICS_TOKEN": METRICS_TOKEN},
    ),
}
