"""The inbox (Hộp việc): the official's tasks and their groups', filtered, sorted, one keyset page at a time."""
from __future__ import annotations

from flask import render_template, request

from api import context
from api.web import bp
from api.web.pages import actor
from engine import inbox


@bp.get("/hop-viec")
def inbox_page():
    filters = inbox.InboxFilter(scope=request.args.get("scope", "all") if request.args.get("scope") in
                                inbox.SCOPES else "all")
    page = inbox.list_tasks(context.runtime(), context.session(), filters, actor=actor(), now=context.now())
    return render_template("inbox.html", page=page, filters=filters, section="inbox")


inbox_page.__name__ = "inbox"
