"""Each dashboard control asks for its own permission (``marketplace.operators``); seeing the pages asks only for
staff. A refusal is a 403 that names the permission, before the view reads its input or changes anything."""

from functools import wraps

from django.shortcuts import render

from marketplace.operators import Control

FORBIDDEN = 403


def control_required(control: Control):
    """Let the view run only for a user who ``has_perm(control.permission)`` (superusers have them all)."""

    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not request.user.has_perm(control.permission):
                return render(request, "dashboard/forbidden.html", {"control": control}, status=FORBIDDEN)
            return view(request, *args, **kwargs)

        return checked

    return decorator
