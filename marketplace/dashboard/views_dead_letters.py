"""The dead letters: filtered by handler, context, message type and error, a page at a time, each with its
order (the correlation, linked to its flow) and its error; retry or archive one, the selected ones, all of a
type, or all that match the filter (not just the page).

Retrying and archiving are POSTs (CSRF-checked) needing the retry permission (``marketplace.operators``: the
one that lets an operator deal with dead letters), done by ``messaging.controls`` as in the admin and
``manage.py dead_letters``, and journaled with ``user:<username>``. Archiving, and retrying dead letters that
failed with a permanent error, first ask (``confirm``).
"""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from marketplace import operators
from marketplace.dashboard.confirm import confirmation, confirmed
from marketplace.dashboard.forms import DeadLetterFilterForm
from marketplace.dashboard.permissions import control_required
from marketplace.dashboard.views_ledger import actor_of, back_to, permanent_warning, plural
from messaging import controls, selectors

PER_PAGE = 50
MATCHING = "match"  # the filter's prefix when "all N matching" posts it back


@staff_member_required
@require_GET
def dead_letters(request):
    form = DeadLetterFilterForm(request.GET)
    matching = form.matching()
    page = _page_number(request.GET.get("page", ""))
    dead = selectors.dead_letters(
        shown=PER_PAGE, cap=selectors.LIST_COUNT_CAP, matching=matching, offset=(page - 1) * PER_PAGE
    )
    pages = max(1, -(-dead.total // PER_PAGE))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "matching": matching,
        "filtered": not matching.is_empty,
        "query": query.urlencode(),
        "total": dead.total,
        "capped": dead.capped,
        "by_type": dead.by_type,
        "rows": dead.newest,
        "page": page,
        "pages": pages,
        "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if page < pages else None,
        "needs": operators.CONTROLS,
    }
    return render(request, "dashboard/dead_letters.html", context)


def _page_number(value: str) -> int:
    return int(value) if value.isdigit() and 0 < len(value) < 7 and int(value) > 0 else 1


def _chosen(request) -> tuple[dict, str] | None:
    """Which dead letters the POST names, and how to say so; None if it names none."""
    if request.POST.get("all_matching"):
        matching = DeadLetterFilterForm(request.POST, prefix=MATCHING).matching()
        return {"matching": matching}, "matching " + matching.describe()
    if message_type := request.POST.get("type", "").strip():
        return {"message_type": message_type}, f"of type {message_type}"
    if one := _ids([request.POST.get("one", "")]):
        return {"delivery_ids": one}, "chosen"
    if ids := _ids(request.POST.getlist("ids")):
        return {"delivery_ids": ids}, "selected"
    return None


def _ids(values) -> list[int]:
    return [int(value) for value in values if value.isdigit() and len(value) < 19]


@staff_member_required
@require_POST
@control_required(operators.RETRY)
def dead_letters_retry(request):
    found = _chosen(request)
    if found is None:
        messages.error(request, "Select at least one dead letter to retry.")
        return back_to(request, "dashboard:dead_letters")
    chosen, what = found
    if not confirmed(request):
        count, permanent = controls.dead_letters_tally(**chosen)
        if permanent:
            return confirmation(
                request,
                heading=f"Retry {plural(count, 'dead letter')} {what}?",
                warnings=[permanent_warning(permanent)],
                button="Retry anyway",
                cancel=request.POST.get("next") or reverse("dashboard:dead_letters"),
            )
    retried = controls.dead_letters_retry(**chosen, actor=actor_of(request))
    if retried:
        messages.success(request, f"Retried {plural(retried, 'dead letter')} {what}.")
    else:
        messages.warning(request, f"No dead letter {what} was left to retry.")
    return back_to(request, "dashboard:dead_letters")


@staff_member_required
@require_POST
@control_required(operators.RETRY)
def dead_letters_archive(request):
    found = _chosen(request)
    if found is None:
        messages.error(request, "Select at least one dead letter to archive.")
        return back_to(request, "dashboard:dead_letters")
    chosen, what = found
    if not confirmed(request):
        count, _ = controls.dead_letters_tally(**chosen)
        return confirmation(
            request,
            heading=f"Archive {plural(count, 'dead letter')} {what}?",
            warnings=[
                "Archived dead letters leave the outbox for good: they can no longer be retried. The journal "
                "keeps, for each, its handler, its error and that you archived it."
            ],
            button="Archive",
            cancel=request.POST.get("next") or reverse("dashboard:dead_letters"),
        )
    archived = controls.dead_letters_archive(**chosen, actor=actor_of(request))
    if archived:
        messages.success(request, f"Archived {plural(archived, 'dead letter')} {what}.")
    else:
        messages.warning(request, f"No dead letter {what} was left to archive.")
    return back_to(request, "dashboard:dead_letters")
