"""A task (Công việc): its form drawn from the task's JSON Schema, its outcomes as buttons, and the work on
it: claim, unclaim, assign to a colleague, complete, send back with a reason.

Every action is the engine's (the same functions as the API's); a refusal re-draws the page with the
engine's reasons beside the fields, the values typed kept.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api import context
from api.web import bp, forms, i18n
from api.web.pages import actor
from engine import dossiers, task_context
from engine.errors import Conflict, InvalidInput


def _page(task_id: int, values: dict | None = None, errors: dict | None = None, status: int = 200,
          message: str | None = None, extra_rows: dict | None = None, send_back_reason: str = ""):
    ctx = task_context.task_context(context.runtime(), context.session(), task_id, actor=actor(), now=context.now())
    schema = ctx.view.form or {"type": "object", "properties": {}}
    outcomes = list(ctx.view.outcomes)
    outcome_schema = (schema.get("properties") or {}).get(forms.OUTCOME) if outcomes else None
    labels = ((outcome_schema or {}).get("x-ui") or {}).get("labels") or {}
    if values is None:
        values = {**forms.defaults(schema), **(ctx.prefill or {})}
    errors = dict(errors or {})
    send_back_errors = [forms.message(m) for m in errors.pop("send_back_reason", [])]
    fields = forms.build(schema, values, errors, extra_rows, skip=(forms.OUTCOME,) if outcomes else ())
    return render_template(
        "task.html", section="inbox", ctx=ctx, view=ctx.view, task=ctx.view.task, fields=fields,
        outcomes=[(o, labels.get(o, o)) for o in outcomes], outcome_errors=[forms.message(m) for m in errors.get(forms.OUTCOME, [])],
        unplaced=[m for m in forms.unplaced(errors, fields) if not m.startswith(forms.OUTCOME + ":")],
        message=message, has_errors=bool(errors), send_back_reason=send_back_reason,
        send_back_errors=send_back_errors,
        earlier_fields=[(step, forms.build(step.form or {"type": "object", "properties": {}}, step.data, {}))
                        for step in ctx.earlier],
    ), status


@bp.get("/cong-viec/<int:task_id>")
def task(task_id: int):
    return _page(task_id)


@bp.post("/cong-viec/<int:task_id>/hoan-thanh")
def complete(task_id: int):
    rt, session = context.runtime(), context.session()
    view = task_context.inbox.get_task(rt, session, task_id, actor=actor(), now=context.now())
    schema = view.form or {"type": "object", "properties": {}}
    data = forms.parse(schema, request.form, i18n.local(context.now()).tzinfo)
    add = request.form.get(forms.ADD_ROW)
    if add or "refresh" in request.form:  # "add a row", or Enter pressed in a field: draw again, do nothing
        return _page(task_id, values=data, extra_rows={add: 1} if add else None)
    if view.outcomes:
        data[forms.OUTCOME] = request.form.get(forms.OUTCOME, "")
    try:
        dossiers.complete_task(rt, session, task_id, data, actor=actor(), now=context.now())
        context.commit()
    except InvalidInput as exc:
        session.rollback()
        return _page(task_id, values=data, errors=exc.errors or {"data": [exc.detail]}, status=422,
                     message=_("The step was not completed: correct the fields marked below."))
    except Conflict as exc:
        session.rollback()
        return _page(task_id, values=data, status=409, message=_("The step was not completed: %(reason)s",
                                                                 reason=exc.detail))
    flash(_("Step “%(step)s” of dossier %(code)s is done.", step=view.task.name, code=view.task.dossier["code"]))
    return redirect(url_for("web.inbox"))


def _act(task_id: int, action, done_message: str, back_to_task: bool = True):
    try:
        action()
        context.commit()
    except Conflict as exc:
        context.session().rollback()
        return _page(task_id, status=409, message=exc.detail)
    flash(done_message)
    return redirect(url_for("web.task", task_id=task_id) if back_to_task else url_for("web.inbox"))


@bp.post("/cong-viec/<int:task_id>/nhan")
def claim(task_id: int):
    return _act(task_id, lambda: dossiers.claim_task(context.runtime(), context.session(), task_id, actor=actor(),
                                                     now=context.now()), _("You have taken this task."))


@bp.post("/cong-viec/<int:task_id>/tra-nhom")
def unclaim(task_id: int):
    return _act(task_id, lambda: dossiers.unclaim_task(context.runtime(), context.session(), task_id, actor=actor(),
                                                       now=context.now()), _("The task is back in the group's inbox."))


@bp.post("/cong-viec/<int:task_id>/giao")
def assign(task_id: int):
    raw = request.form.get("assignee_id", "")
    if not raw.isdigit():
        return _page(task_id, status=422, message=_("Choose a colleague to hand the task to."))
    try:
        dossiers.assign_task(context.runtime(), context.session(), task_id, int(raw), actor=actor(), now=context.now())
        context.commit()
    except (InvalidInput, Conflict) as exc:
        context.session().rollback()
        return _page(task_id, status=422 if isinstance(exc, InvalidInput) else 409, message=exc.detail)
    flash(_("The task has been handed over."))
    return redirect(url_for("web.task", task_id=task_id))


@bp.post("/cong-viec/<int:task_id>/tra-lai")
def send_back(task_id: int):
    reason = request.form.get("reason", "")
    try:
        dossiers.send_back(context.runtime(), context.session(), task_id, reason, actor=actor(), now=context.now())
        context.commit()
    except InvalidInput as exc:
        context.session().rollback()
        return _page(task_id, status=422, message=_("Write why the dossier goes back."),
                     errors={"send_back_reason": exc.errors.get("reason", [exc.detail])}, send_back_reason=reason)
    except Conflict as exc:
        context.session().rollback()
        return _page(task_id, status=409, message=exc.detail, send_back_reason=reason)
    flash(_("The dossier has been sent back to the previous step."))
    return redirect(url_for("web.inbox"))
