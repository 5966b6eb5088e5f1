"""Result return (Trả kết quả): the dossiers whose result waits at the desk, and the return itself — at the
counter (recipient), by post (tracking number) or online. Completing the return step is the engine's task
completion, as the API's POST /tasks/<id>/complete: the dossier ends with it.

The list is the desk's inbox (engine.inbox.list_tasks, same scope rules) narrowed to its return steps.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api import context
from api.web import bp, forms, i18n
from api.web.pages import actor
from engine import dossiers, inbox, task_context
from engine.errors import Conflict, InvalidInput

#: a return step is named so in the library's diagrams (return_result, return_refusal)
RETURN_PREFIX = "return_"
PAGES = 10


def desk_tasks(q: str | None, prefix: str) -> list[inbox.InboxRow]:
    """The official's open steps whose BPMN id starts with `prefix`, from the inbox (its scope rules)."""
    rows, after = [], None
    rt, session = context.runtime(), context.session()
    filters = inbox.InboxFilter(scope="all", q=q, sort="due_at")
    for _page in range(PAGES):  # the desk's open steps are few; read until the end or ten pages
        page = inbox.list_tasks(rt, session, filters, actor=actor(), now=context.now(), after=after, limit=100)
        rows += [r for r in page.items if r.bpmn_id.startswith(prefix)]
        if not page.next_cursor:
            break
        after = inbox.decode_cursor(page.next_cursor)
    return rows


@bp.get("/tra-ket-qua")
def returns():
    q = request.args.get("q", "").strip()[:100] or None
    return render_template("returns.html", title=_("Result return"), section="returns", rows=desk_tasks(q, RETURN_PREFIX),
                           q=q or "")


def _page(task_id: int, values: dict | None = None, errors: dict | None = None, status: int = 200,
          message: str | None = None):
    ctx = task_context.task_context(context.runtime(), context.session(), task_id, actor=actor(), now=context.now())
    schema = ctx.view.form or {"type": "object", "properties": {}}
    if values is None:
        values = forms.defaults(schema)
    errors = errors or {}
    fields = forms.build(schema, values, errors)
    return render_template("return.html", title=_("Result return"), section="returns", ctx=ctx, view=ctx.view,
                           task=ctx.view.task, fields=fields, unplaced=forms.unplaced(errors, fields),
                           message=message), status


@bp.get("/tra-ket-qua/<int:task_id>")
def return_task(task_id: int):
    return _page(task_id)


@bp.post("/tra-ket-qua/<int:task_id>")
def return_complete(task_id: int):
    rt, session = context.runtime(), context.session()
    view = inbox.get_task(rt, session, task_id, actor=actor(), now=context.now())
    schema = view.form or {"type": "object", "properties": {}}
    data = forms.parse(schema, request.form, i18n.local(context.now()).tzinfo)
    try:
        dossiers.complete_task(rt, session, task_id, data, actor=actor(), now=context.now())
        context.commit()
    except InvalidInput as exc:
        session.rollback()
        return _page(task_id, values=data, errors=exc.errors or {"data": [exc.detail]}, status=422,
                     message=_("The result was not returned: correct the fields marked below."))
    except Conflict as exc:
        session.rollback()
        return _page(task_id, values=data, status=409, message=exc.detail)
    flash(_("Dossier %(code)s: result returned; the dossier is closed.", code=view.task.dossier["code"]))
    return redirect(url_for("web.returns"))
