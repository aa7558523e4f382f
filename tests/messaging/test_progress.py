"""The one progress bar of the long management commands."""

from io import StringIO

from django.core.management.base import BaseCommand

from messaging.management.progress import ProgressBar


def test_the_progress_bar_fills_in_proportion_and_always_draws_the_last_step():
    drawn = []
    bar = ProgressBar(4, drawn.append, enabled=True, width=8)

    bar.update(1, "one")
    bar.update(2, "two")  # within 0.1 s of the last drawing: skipped
    bar.update(4, "done")  # the last step is always drawn
    bar.finish()

    assert drawn == ["\r[##------] 1/4 one\x1b[K", "\r[########] 4/4 done\x1b[K", "\n"]


def test_a_total_of_zero_draws_a_full_bar_instead_of_dividing_by_zero():
    drawn = []
    bar = ProgressBar(0, drawn.append, enabled=True, width=4)

    bar.update(0)

    assert drawn == ["\r[####] 0/0\x1b[K"]


def test_on_stderr_draws_nothing_when_stderr_is_not_a_terminal():
    command = BaseCommand(stderr=StringIO())
    bar = ProgressBar.on_stderr(command, 3)

    bar.update(3, "done")
    bar.finish()

    assert command.stderr.getvalue() == ""
