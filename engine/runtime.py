"""The engine's collaborators, and the one place that drives SpiffWorkflow: start, restore, step, save."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session, sessionmaker

from bpmn import sandbox
from bpmn.scripts import MAX_ENGINE_STEPS, make_script_engine
from bpmn.serializer import dump_state, load_state
from config import Settings
from engine import timers
from engine.accounts import LoginThrottle
from engine.calendar_store import CalendarStore
from engine.clock import Clock
from engine.db import make_engine, make_sessionmaker
from engine.errors import Conflict, WorkflowError
from engine.live import LiveWorkflows
from engine.models import Dossier, ProcedureVersion
from engine.specs import CompiledVersion, SpecCache


@dataclass
class Runtime:
    """What every use case needs besides its session: settings, clock, caches, the script engine."""

    settings: Settings
    sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=Clock)
    specs: SpecCache = field(default_factory=SpecCache)
    calendars: CalendarStore | None = None
    script_engine: object = None
    live: LiveWorkflows = field(default_factory=LiveWorkflows)
    login_throttle: LoginThrottle | None = None

    def __post_init__(self):
        self.live.attach(self.sessions)
        from engine.portal import sync as portal_sync  # here: the portal package imports this module's users

        portal_sync.attach(self.sessions, self.settings, self.clock)
        if self.login_throttle is None:
            s = self.settings
            self.login_throttle = LoginThrottle(s.login_failures_per_account, s.login_failures_per_address,
                                                s.login_failure_period)
        if self.calendars is None:
            self.calendars = CalendarStore(self.settings)
        if self.script_engine is None:
            # Timer expressions may count working time: add_working_time(received_at, "PT4H").
            s = self.settings
            box = sandbox.shared(sandbox.Limits(s.script_cpu_seconds, s.script_memory_mb, s.script_wall_seconds,
                                                s.script_workers))
            self.script_engine = make_script_engine(functions=timers.script_functions(self.calendar), sandbox=box,
                                                    max_loop=s.max_loop, max_engine_steps=s.max_engine_steps)

    def calendar(self):
        """The working calendar in force (config plus the admins' day swaps)."""
        with self.sessions() as session:
            return self.calendars.get(session)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        engine = make_engine(settings.database_url, echo=settings.database_echo)
        return cls(settings=settings, sessions=make_sessionmaker(engine), clock=clock or Clock())

    @property
    def db_engine(self):
        return self.sessions.kw["bind"]

    def compiled(self, session: Session, dossier: Dossier) -> CompiledVersion:
        """The dossier's procedure version, parsed (cached per process)."""
        return self.compiled_version(session, dossier.procedure_version_id)

    def compiled_version(self, session: Session, version_id: int) -> CompiledVersion:
        """A procedure version by id, from the cache or, once per process, from its row."""
        compiled = self.specs.get_by_id(version_id)
        if compiled is None:
            compiled = self.specs.get(session.get(ProcedureVersion, version_id))
        return compiled


def _failed_element(workflow: BpmnWorkflow, exc: Exception) -> tuple[str | None, str | None]:
    """The BPMN id and name of the element whose script or expression failed."""
    task = getattr(exc, "task", None)
    if task is None:
        task = next(iter(workflow.get_tasks(state=TaskState.ERROR)), None)
    if task is None:
        return None, None
    return task.task_spec.bpmn_id, task.task_spec.bpmn_name


def step(workflow: BpmnWorkflow, where: str) -> None:
    """Run the workflow's engine steps (gateways, scripts, timers, events) until people are needed.

    Any failure becomes a WorkflowError naming the BPMN element; the caller saves nothing.
    """
    bound = getattr(workflow.script_engine, "max_engine_steps", MAX_ENGINE_STEPS)
    steps = 0

    def count(task) -> None:
        nonlocal steps
        steps += 1
        if steps > bound:  # a script -> gateway cycle, a loop without maximum: refused, nothing saved
            raise WorkflowTaskException(f"more than {bound} engine steps in one action (the bound): the "
                                        f"diagram loops without a person's step between", task=task)

    try:
        workflow.do_engine_steps(will_complete_task=count)
    except Exception as exc:
        # The in-memory workflow is now half-advanced: the caller throws it away and saves nothing.
        # A restricted script raising anything is the diagram's error, reported with its element.
        element_id, name = _failed_element(workflow, exc)
        reason = str(exc) if isinstance(exc, SpiffWorkflowException) else f"{type(exc).__name__}: {exc}"
        cause = exc.__cause__ or exc.__context__
        if cause is not None and str(cause) not in reason:  # SpiffWorkflow names only the failed expression
            reason = f"{reason} ({type(cause).__name__}: {cause})"
        label = f"{element_id} ({name})" if element_id else where
        raise WorkflowError(f"{label}: {reason}", element_id=element_id) from exc


def start(rt: Runtime, compiled: CompiledVersion, data: dict, now: dt.datetime) -> BpmnWorkflow:
    """Create a workflow on the cached spec, seed its data, and run it to the first human tasks."""
    workflow = BpmnWorkflow(compiled.spec, compiled.subprocess_specs, script_engine=rt.script_engine)
    workflow.task_tree.set_data(**data)
    with timers.clock_at(now):  # timers started now count from the engine's clock, not the wall clock
        step(workflow, "start")
    return workflow


def restore(rt: Runtime, compiled: CompiledVersion, dossier: Dossier) -> BpmnWorkflow:
    """The dossier's workflow: the live one of this exact version if this process has it, else from the row."""
    workflow = rt.live.take(dossier.id, dossier.version)
    if workflow is None:
        workflow = load_state(dossier.workflow_state, compiled.spec, compiled.subprocess_specs, rt.script_engine)
    return workflow


def save(rt: Runtime, session: Session, dossier: Dossier, workflow: BpmnWorkflow) -> None:
    """Write the state and the next timer to the row; keep the workflow alive once this action commits."""
    dossier.workflow_state = dump_state(workflow)
    dossier.next_timer_at = None if workflow.completed else timers.next_timer_at(workflow)
    rt.live.hold(session, dossier, workflow)


def stranded_at(workflow: BpmnWorkflow) -> str | None:
    """The BPMN id of where an unfinished workflow with nothing to do stopped: a waiting element, else the
    last one completed."""
    waiting = workflow.get_tasks(state=TaskState.WAITING | TaskState.STARTED)
    tasks = [t for t in waiting if t.task_spec.bpmn_id] or sorted(
        (t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id),
        key=lambda t: t.last_state_change)[-1:]
    return tasks[-1].task_spec.bpmn_id if tasks else None


def ready_human_tasks(workflow: BpmnWorkflow) -> list:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def run_human_task(workflow: BpmnWorkflow, spiff_task_id: str, data: dict, now: dt.datetime) -> None:
    """Complete a READY user task with form data and advance the workflow."""
    task = workflow.get_task_from_id(UUID(spiff_task_id))
    if task is None or task.state != TaskState.READY:
        raise Conflict("this task is no longer waiting for work")
    task.set_data(**data)
    try:
        task.run()
    except SpiffWorkflowException as exc:
        raise WorkflowError(f"{task.task_spec.bpmn_id}: {exc}", element_id=task.task_spec.bpmn_id) from exc
    with timers.clock_at(now):
        step(workflow, task.task_spec.bpmn_id)


def reset_to(workflow: BpmnWorkflow, spiff_task_id: str, now: dt.datetime) -> None:
    """Send the work back: make an earlier task READY again and drop what came after it."""
    workflow.reset_from_task_id(UUID(spiff_task_id))
    with timers.clock_at(now):
        step(workflow, "send back")


def fire_timers(workflow: BpmnWorkflow, now: dt.datetime) -> None:
    """Let the timers due at `now` fire and advance the workflow."""
    with timers.clock_at(now):
        workflow.refresh_timers()
        step(workflow, "timer")


def reached_end_statuses(workflow: BpmnWorkflow, compiled: CompiledVersion) -> list[str]:
    """The `status` of the end events the finished workflow went through."""
    done = workflow.get_tasks(state=TaskState.COMPLETED)
    return [compiled.end_statuses[t.task_spec.bpmn_id] for t in done if t.task_spec.bpmn_id in compiled.end_statuses]
