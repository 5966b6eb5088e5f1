"""Tasks: the inbox, one task with its form, and the actions on it (claim, assign, complete, send back).

Every view asks the engine and commits; the engine checks who may do what (403), what exists (404) and
what is still possible (409), and a concurrent change of the dossier is a 409 whose data is not applied.
"""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import context
from api.auth import current_actor, protect
from api.errors import problems
from api.schemas.tasks import (
    AssignSchema,
    CompleteSchema,
    InboxPageSchema,
    InboxQuerySchema,
    SendBackSchema,
    StepResultSchema,
    TaskBriefSchema,
    TaskDetailSchema,
)
from engine import dossiers, inbox

blp = protect(Blueprint("tasks", __name__, url_prefix="/api/v1/tasks",
                        description="Inboxes and the work on each task"))


@blp.route("")
class Inbox(MethodView):
    @blp.arguments(InboxQuerySchema, location="query")
    @blp.response(200, InboxPageSchema)
    @problems(blp, 401, 422)
    def get(self, args):
        """List the caller's tasks, soonest due first, one page at a time."""
        return inbox.list_tasks(context.runtime(), context.session(), args["filters"], actor=current_actor(),
                                now=context.now(), after=args["after"], limit=args["limit"])


@blp.route("/<int:task_id>")
class TaskItem(MethodView):
    @blp.response(200, TaskDetailSchema)
    @problems(blp, 401, 403, 404)
    def get(self, task_id):
        """Show a task with its form (JSON Schema) and outcomes."""
        return inbox.get_task(context.runtime(), context.session(), task_id, actor=current_actor(),
                              now=context.now())


@blp.route("/<int:task_id>/claim")
class TaskClaim(MethodView):
    @blp.response(200, TaskBriefSchema)
    @problems(blp, 401, 403, 404, 409)
    def post(self, task_id):
        """Take a task from the group inbox into one's own."""
        task = dossiers.claim_task(context.runtime(), context.session(), task_id, actor=current_actor(),
                                   now=context.now())
        context.commit()
        return task


@blp.route("/<int:task_id>/unclaim")
class TaskUnclaim(MethodView):
    @blp.response(200, TaskBriefSchema)
    @problems(blp, 401, 403, 404, 409)
    def post(self, task_id):
        """Put a claimed task back into the group inbox."""
        task = dossiers.unclaim_task(context.runtime(), context.session(), task_id, actor=current_actor(),
                                     now=context.now())
        context.commit()
        return task


@blp.route("/<int:task_id>/assign")
class TaskAssign(MethodView):
    @blp.arguments(AssignSchema)
    @blp.response(200, TaskBriefSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def post(self, payload, task_id):
        """Hand a task to a colleague holding its role (head, leader or supervisor)."""
        task = dossiers.assign_task(context.runtime(), context.session(), task_id, payload["assignee_id"],
                                    actor=current_actor(), now=context.now())
        context.commit()
        return task


@blp.route("/<int:task_id>/complete")
class TaskCompletion(MethodView):
    @blp.arguments(CompleteSchema)
    @blp.response(200, StepResultSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def post(self, payload, task_id):
        """Complete a task with its form data; 422 names each bad field."""
        result = dossiers.complete_task(context.runtime(), context.session(), task_id, payload["data"],
                                        actor=current_actor(), now=context.now())
        context.commit()
        return result


@blp.route("/<int:task_id>/send-back")
class TaskSendBack(MethodView):
    @blp.arguments(SendBackSchema)
    @blp.response(200, StepResultSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def post(self, payload, task_id):
        """Return the dossier to the previous step, with a reason."""
        result = dossiers.send_back(context.runtime(), context.session(), task_id, payload["reason"],
                                    actor=current_actor(), now=context.now())
        context.commit()
        return result
