"""A one-line progress bar for the operating commands: drawn on a terminal only, at most 10 times a second.

(Orders' commands have their own: ``messaging`` imports no context.)
"""

from collections.abc import Callable
from time import monotonic


class ProgressBar:
    def __init__(self, total: int, write: Callable[[str], None], *, enabled: bool, width: int = 30):
        self.total, self.write, self.enabled, self.width = max(total, 1), write, enabled, width
        self.drawn_at: float | None = None

    def update(self, done: int, note: str = "") -> None:
        now = monotonic()
        if not self.enabled or (done < self.total and self.drawn_at is not None and now - self.drawn_at < 0.1):
            return
        self.drawn_at = now
        filled = self.width * min(done, self.total) // self.total
        bar = "#" * filled + "-" * (self.width - filled)
        self.write(f"\r[{bar}] {done}/{self.total} {note}".rstrip() + "\x1b[K")  # \x1b[K: clear the line's rest

    def finish(self) -> None:
        if self.drawn_at is not None:
            self.write("\n")
