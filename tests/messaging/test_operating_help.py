"""Every operating command explains itself: --help with a description and examples."""

import pytest
from django.core.management import get_commands, load_command_class


@pytest.mark.parametrize(
    ("name", "example"),
    [
        ("replay_messages", "manage.py replay_messages --status dead --dry-run"),
        ("messaging_status", "manage.py messaging_status --json"),
        ("dead_letters", "manage.py dead_letters --show 42"),
        ("purge_messages", "manage.py purge_messages --older-than 30d --dry-run"),
        ("rebuild_catalog", "manage.py rebuild_catalog --dry-run"),
    ],
)
def test_help_describes_the_command_and_shows_examples_as_written(name, example):
    command = load_command_class(get_commands()[name], name)

    text = command.create_parser("manage.py", name).format_help()

    assert "\nexamples:\n" in text
    assert f"\n  {example}" in text
