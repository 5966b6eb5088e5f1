"""A task (Công việc): its form drawn from the task's JSON Schema, its outcomes, and the work on it."""
from __future__ import annotations

from flask import render_template

from api import context
from api.web import bp
from api.web.pages import actor
from engine import inbox


@bp.get("/cong-viec/<int:task_id>")
def task(task_id: int):
    view = inbox.get_task(context.runtime(), context.session(), task_id, actor=actor(), now=context.now())
    return render_template("task.html", view=view, section="inbox")
