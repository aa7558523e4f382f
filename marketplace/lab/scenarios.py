"""The scenarios an experiment can run, each with its own settings and what the fault lab does during it.

Every scenario runs the same workload in both styles; what differs is what happens to Vendors meanwhile:

- ``baseline``: nothing.
- ``vendors-down``: Vendors' handlers unavailable for ``down_seconds`` from the middle of the placing, then back.
- ``flaky``: ``failure_rate`` percent of Vendors' attempts fail (transient: retried).
- ``slow``: every Vendors attempt takes ``latency_ms`` longer.
- ``vendor-silent``: one lab vendor never accepts, so its orders reach the vendor timeout (``vendor_timeout``)
  and are cancelled there.
"""

from dataclasses import dataclass

VENDORS = "vendors"  # the context the fault lab works on
VENDOR_TIMEOUT = 300  # seconds: the lab's orders' vendor timeout, but in vendor-silent


@dataclass(frozen=True)
class Setting:
    name: str  # also the option: --down-seconds
    default: int
    minimum: int
    maximum: int
    unit: str
    help: str

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    setting: Setting | None = None

    def title(self, values: dict) -> str:
        """How the scenario reads in a heading: "Vendors down 20 s"."""
        if self.setting is None:
            return self.summary
        return f"{self.summary} {values[self.setting.name]} {self.setting.unit}"


SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        Scenario("baseline", "Baseline"),
        Scenario(
            "vendors-down",
            "Vendors down",
            Setting("down_seconds", 20, 1, 600, "s", "How long Vendors is unavailable, from mid-run."),
        ),
        Scenario("flaky", "Vendors flaky,", Setting("failure_rate", 20, 1, 100, "%", "Percent of attempts failing.")),
        Scenario("slow", "Vendors slow,", Setting("latency_ms", 200, 1, 30_000, "ms", "Added to each attempt.")),
        Scenario(
            "vendor-silent",
            "A vendor never accepts, timeout",
            Setting("vendor_timeout", 10, 1, 3600, "s", "How long an order waits for its vendors' acceptance."),
        ),
    )
}
SETTINGS = {scenario.setting.name: scenario.setting for scenario in SCENARIOS.values() if scenario.setting}
SILENT_VENDOR = "Lab vendor C"  # in vendor-silent, the lab's vendor whose staff never accept


def settings_of(names: list[str], values: dict) -> dict:
    """The settings of the chosen scenarios: ``values``' where given, else the defaults."""
    chosen = {}
    for name in names:
        setting = SCENARIOS[name].setting
        if setting is not None:
            chosen[setting.name] = values.get(setting.name) if values.get(setting.name) is not None else setting.default
    return chosen
