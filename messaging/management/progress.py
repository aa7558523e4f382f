"""A one-line progress bar for long management commands: drawn on a terminal only, at most 10 times a second.

The one copy for every app's commands (a building block, like ``options.OperatingCommand``).
"""

from collections.abc import Callable
from time import monotonic

from django.core.management.base import BaseCommand


class ProgressBar:
    def __init__(self, total: int, write: Callable[[str], None], *, enabled: bool, width: int = 30):
        self.total, self.write, self.enabled, self.width = total, write, enabled, width
        self.drawn_at: float | None = None

    @classmethod
    def on_stderr(cls, command: BaseCommand, total: int) -> "ProgressBar":
        """A bar on the command's stderr, drawn only when that is a terminal: piped output stays clean."""
        return cls(
            total, lambda text: command.stderr.write(text, style_func=str, ending=""), enabled=command.stderr.isatty()
        )

    def update(self, done: int, note: str = "") -> None:
        now = monotonic()
        if not self.enabled or (done < self.total and self.drawn_at is not None and now - self.drawn_at < 0.1):
            return
        self.drawn_at = now
        filled = self.width * min(done, self.total) // self.total if self.total else self.width  # nothing to do: done
        bar = "#" * filled + "-" * (self.width - filled)
        self.write(f"\r[{bar}] {done}/{self.total} {note}".rstrip() + "\x1b[K")  # \x1b[K: clear the line's rest

    def finish(self) -> None:
        if self.drawn_at is not None:
            self.write("\n")
