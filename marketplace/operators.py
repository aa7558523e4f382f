"""Who may work the dashboard's controls: one Django permission per control, and the ``operators`` group that
holds them. The dashboard's views and templates, ``seed_demo`` and the tests all read them from here.

Looking at the dashboard only takes ``is_staff``; changing anything takes the control's permission. Superusers
have every permission; other staff get them by joining the group (admin → Users → Groups, or
``user.groups.add(Group.objects.get(name="operators"))``).
"""

from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db.models import Q

GROUP = "operators"


@dataclass(frozen=True)
class Control:
    permission: str  # "app_label.codename", as ``User.has_perm`` takes it
    action: str  # what the permission lets an operator do, completing "To ..."

    @property
    def needed(self) -> str:
        """The sentence a refusal and a disabled control show."""
        return (
            f"To {self.action} you need the {self.permission} permission: "
            f"ask an administrator to add you to the {GROUP} group."
        )


FAULT_LAB = Control("messaging.change_faultsetting", "change the fault lab")
PAUSE = Control("messaging.change_handlerstate", "pause or resume a handler")
STYLE = Control("orders.change_storesettings", "switch the style")
RETRY = Control("messaging.retry_delivery", "retry dead letters")
REPLAY = Control("messaging.replay_delivery", "replay a delivery")
LAB = Control("lab.add_experiment", "run an experiment in the trade-off lab")

# By name, for the templates (``needs.retry.permission in perms``).
CONTROLS = {"fault_lab": FAULT_LAB, "pause": PAUSE, "style": STYLE, "retry": RETRY, "replay": REPLAY, "lab": LAB}

# The admin is the operators' other door to the same controls. Pausing and the fault lab come with their change
# permissions (which let the admin show those lists), but retrying from the admin starts from the list of dead
# letters or deliveries, and finding what to retry or replay means reading messages, the journal and the
# breakers: an operator needs to see those tables, read-only as they are for everyone.
ADMIN_VIEWS = (
    "messaging.view_message",
    "messaging.view_delivery",
    "messaging.view_deadletter",
    "messaging.view_journalentry",
    "messaging.view_circuitbreaker",
)

GROUP_PERMISSIONS = (*(control.permission for control in CONTROLS.values()), *ADMIN_VIEWS)


def group_permissions() -> list[Permission]:
    """The rows of ``GROUP_PERMISSIONS``; a missing one (a migration not run) is an error, not a smaller group."""
    wanted = {tuple(name.split(".", 1)) for name in GROUP_PERMISSIONS}
    query = Q()
    for app_label, codename in wanted:
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(query).select_related("content_type"))
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        names = ", ".join(sorted(f"{app}.{codename}" for app, codename in missing))
        raise LookupError(f"No such permission: {names} (run manage.py migrate).")
    return found
