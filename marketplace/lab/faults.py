"""What a scenario does to Vendors, through the fault lab's own control (journaled, with the lab as actor).

Flaky and slow set their fault when the placing starts; vendors-down makes Vendors unavailable half-way
through the placing for its ``down_seconds``; every fault is cleared when the scenario ends, however it ends.
"""

from dataclasses import dataclass

from marketplace.lab.scenarios import VENDORS
from messaging import controls


@dataclass
class ScenarioFaults:
    scenario: str
    settings: dict
    actor: str
    down_from: float | None = None  # vendors-down: seconds from the start of the placing
    down_until: float | None = None
    down: bool = False
    set: bool = False

    def begin(self, *, placing_seconds: float) -> None:
        if self.scenario == "flaky":
            self._set(failure_rate=self.settings["failure_rate"])
        elif self.scenario == "slow":
            self._set(latency_ms=self.settings["latency_ms"])
        elif self.scenario == "vendors-down":
            self.down_from = placing_seconds / 2
            self.down_until = self.down_from + self.settings["down_seconds"]

    def tick(self, elapsed: float) -> None:
        """Vendors down or back, as the time since the placing began says."""
        if self.down_from is None:
            return
        if not self.down and self.down_from <= elapsed < self.down_until:
            self._set(unavailable=True)
            self.down = True
        elif self.down and elapsed >= self.down_until:
            self.end()

    def over(self, elapsed: float) -> bool:
        """Whether the scenario has nothing more to do to Vendors (an outage has run its course)."""
        return self.down_until is None or elapsed >= self.down_until

    def note(self, elapsed: float) -> str:
        if self.down:
            return f"Vendors unavailable, back in {max(self.down_until - elapsed, 0):.0f} s"
        if self.down_from is not None and elapsed < self.down_from:
            return f"Vendors goes down in {self.down_from - elapsed:.0f} s"
        return ""

    def end(self) -> None:
        if self.set:
            controls.fault_set(context=VENDORS, unavailable=False, latency_ms=0, failure_rate=0, actor=self.actor)
            self.set = self.down = False

    def _set(self, *, unavailable: bool = False, latency_ms: int = 0, failure_rate: int = 0) -> None:
        controls.fault_set(
            context=VENDORS,
            unavailable=unavailable,
            latency_ms=latency_ms,
            failure_rate=failure_rate,
            actor=self.actor,
        )
        self.set = True
