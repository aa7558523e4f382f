"""One way to write a moment and a duration on every page: the ``marketplace_time`` filters."""

from datetime import UTC, datetime, timedelta

from django.template import Context, Template

from marketplace.templatetags.marketplace_time import duration, relative

MOMENT = datetime(2026, 11, 30, 16, 40, 32, tzinfo=UTC)


def render(text: str, **context) -> str:
    return Template("{% load marketplace_time %}" + text).render(Context(context))


def test_a_timestamp_reads_day_month_year_clock_and_zone():
    assert render("{{ at|timestamp }}", at=MOMENT) == (
        '<time datetime="2026-11-30T16:40:32+00:00">30 Nov 2026, 16:40:32 UTC</time>'
    )


def test_a_relative_timestamp_keeps_the_absolute_time_on_hover():
    html = render('{{ at|timestamp:"relative" }}', at=MOMENT)
    assert 'title="30 Nov 2026, 16:40:32 UTC"' in html and "data-relative" in html and " ago</time>" in html


def test_no_moment_writes_nothing():
    assert render("{{ at|timestamp }}{{ ms|duration_ms }}", at=None, ms=None) == ""


def test_relative_times_say_how_long_ago_or_how_long_until():
    assert relative(MOMENT - timedelta(seconds=3), now=MOMENT) == "3 s ago"
    assert relative(MOMENT + timedelta(seconds=12), now=MOMENT) == "in 12 s"
    assert relative(MOMENT - timedelta(minutes=4), now=MOMENT) == "4 min ago"
    assert relative(MOMENT + timedelta(hours=2), now=MOMENT) == "in 2 h"
    assert relative(MOMENT - timedelta(days=3), now=MOMENT) == "3 d ago"


def test_durations_read_as_people_read_them():
    assert duration(0) == "0 ms"
    assert duration(12.54) == "12.5 ms"
    assert duration(1234) == "1.2 s"
    assert duration(42_000) == "42 s"
    assert duration(175_000) == "175 s"
    assert duration(190_456) == "3 min 10 s"
    assert duration(7_500_000) == "2 h 5 min"
    assert render("{{ ms|duration_ms }}", ms=190456) == "3 min 10 s"
