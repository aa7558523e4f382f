"""Renaming a model keeps what operators were given: the permissions move with it."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target: str | None = None) -> None:
    """Migrate messaging to ``target``, or to its latest migration."""
    call_command("migrate", "messaging", *([target] if target else []), verbosity=0)
    ContentType.objects.clear_cache()


@pytest.fixture
def before_the_rename():
    migrate("0004_watchdog_and_permissions")
    try:
        yield
    finally:
        migrate()  # the latest, as the tests after this one expect it


def test_a_group_allowed_to_pause_handlers_still_may_after_the_rename(before_the_rename):
    # given an operators group holding the permission under the model's old name (as migrate left it)
    change = Permission.objects.get(content_type__app_label="messaging", codename="change_subscription")
    Group.objects.create(name="pausers").permissions.add(change)
    assert not Permission.objects.filter(codename="change_handlerstate").exists()

    # when the rename is migrated
    migrate("0005_handler_state")

    # then the group holds the new codename, on the renamed model's content type
    held = Group.objects.get(name="pausers").permissions.get()
    assert (held.content_type.model, held.codename, held.name) == (
        "handlerstate",
        "change_handlerstate",
        "Can change handler state",
    )
