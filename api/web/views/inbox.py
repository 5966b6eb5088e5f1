"""The inbox (Hộp việc): the official's tasks and their groups', filtered, sorted, one keyset page at a time.

The query string is the filter (so a filter can be bookmarked or saved); a value that cannot be read is
named beside its field and left out. New work is announced by a small fragment the page asks for every
30 seconds (static/js/app.js), never by reloading the list under the official's eyes.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from api import context
from api.web import bp, i18n, labels
from api.web.pages import actor
from engine import catalog, inbox, saved_filters

STATUSES = ("ready", "claimed", "completed", "cancelled")
SORTS = ("due_at", "risk", "-created_at")
PAGE_SIZE = 50


def _date(name: str, errors: dict) -> dt.date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Enter a date like 2026-12-31.")
        return None


def read_filters() -> tuple[inbox.InboxFilter, dict, dict]:
    """The filter the query string asks for, the values to show in the form, and errors by field."""
    args, errors = request.args, {}

    def choice(name, allowed, default=None):
        value = args.get(name, "").strip()
        if value and value not in allowed:
            errors[name] = _("Choose one of the listed values.")
            return default
        return value or default

    zone = i18n.local(dt.datetime.now(dt.UTC)).tzinfo
    due_from, due_to = _date("due_from", errors), _date("due_to", errors)
    filters = inbox.InboxFilter(
        scope=choice("scope", inbox.SCOPES, "all"),
        procedure=args.get("procedure", "").strip() or None,
        status=choice("status", STATUSES),
        risk=choice("risk", inbox.RISKS),
        due_after=dt.datetime.combine(due_from, dt.time(), zone) if due_from else None,
        # the day typed is included: up to the start of the next day
        due_before=dt.datetime.combine(due_to + dt.timedelta(days=1), dt.time(), zone) if due_to else None,
        q=args.get("q", "").strip()[:100] or None,
        sort=choice("sort", SORTS, "due_at"),
    )
    shown = {name: args.get(name, "") for name in saved_filters.KEYS}
    return filters, shown, errors


@bp.get("/hop-viec", endpoint="inbox")
def inbox_page():
    filters, shown, errors = read_filters()
    rt, session, me, now = context.runtime(), context.session(), actor(), context.now()
    after = None
    if request.args.get("after"):
        try:
            after = inbox.decode_cursor(request.args["after"])
        except ValueError:
            errors["after"] = _("This page link is no longer valid; showing the first page.")
    if after is not None and after.sort != filters.sort:
        after = None
    page = inbox.list_tasks(rt, session, filters, actor=me, now=now, after=after, limit=PAGE_SIZE)
    counts = inbox.counts(session, actor=me)
    query = {k: v for k, v in shown.items() if v}
    return render_template(
        "inbox.html", section="inbox", page=page, filters=filters, shown=shown, errors=errors, counts=counts,
        procedures=catalog.procedure_names(session), statuses=STATUSES, risks=inbox.RISKS,
        saved=saved_filters.list_filters(session, me), query=query, first_page=after is None,
        next_url=url_for("web.inbox", **query, after=page.next_cursor) if page.next_cursor else None,
        # the last task when the page was drawn: the poll announces the visible ones that came after it
        since_id=counts.latest_id, row_links=_row_links(), words=_row_words(),
    )


def _row_links() -> dict[str, str]:
    """Where a row's links start: url_for once a page, not twice a row (each row appends its id)."""
    return {"dossier": url_for("web.dossier", dossier_id=0)[:-1], "task": url_for("web.task", task_id=0)[:-1]}


def _row_words() -> dict[str, dict[str, str]]:
    """The words a row shows for its codes, looked up once a page (fifty rows ask the same few)."""
    return {"risk": {r: labels.label(labels.RISKS, r) for r in inbox.RISKS},
            "state": {s: labels.label(labels.TASK_STATES, s) for s in labels.TASK_STATES},
            "group": {r: _("Group: %(role)s", role=labels.label(labels.ROLES, r)) for r in labels.ROLES}}


@bp.get("/hop-viec/moi")
def inbox_news():
    """The fragment the page polls: the counters, and how many tasks came in after `since`."""
    try:
        since = int(request.args.get("since", ""))
    except ValueError:
        since = None
    counts = inbox.counts(context.session(), actor=actor(), since_id=since)
    return render_template("inbox_news.html", counts=counts, since=since,
                           reload_url=url_for("web.inbox", **{k: v for k, v in request.args.items()
                                                              if k in saved_filters.KEYS}))


@bp.post("/hop-viec/bo-loc")
def save_filter():
    """Save the filter now shown under a name (one of the official's own)."""
    query = {k: v for k, v in request.form.items() if k in saved_filters.KEYS and v}
    saved_filters.save_filter(context.session(), actor(), request.form.get("name", ""), query, context.now())
    context.commit()
    return redirect(url_for("web.inbox") + ("?" + urlencode(query) if query else ""))


@bp.post("/hop-viec/bo-loc/<int:filter_id>/xoa")
def delete_filter(filter_id: int):
    saved_filters.delete_filter(context.session(), actor(), filter_id)
    context.commit()
    return redirect(url_for("web.inbox"))

