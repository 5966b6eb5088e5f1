"""Scenarios as data: `workflows/<slug>/scenarios/*.toml` walk a dossier through its procedure.

A scenario names the reception (when, by which channel, at which agency, with which data), then each step:
the task met, the role that acts, the working time spent on it (`spent`, ISO 8601 working time, counted on the
organisation's calendar from the previous step) or the instant it is done (`at`), and the data entered; a step
may instead record an extension the law allows (`action = "extend"`), or run the scheduler's consultation job
at that instant (`action = "scheduler"`: a consulted agency silent past its deadline gets its silence rule), or
confirm, as an official of the agency of the open step `task`, the inter-agency hand-over to it
(`action = "confirm"`, engine.interagency). `[expect]` gives the end status and the
dates: the appointment on the receipt, the final due times, whether it ended on time, the fees due and paid.
The runner drives the engine itself (receive_dossier, complete_task, record_extension) on a database with an
organisation and the procedure deployed, with the injected clock; it returns every mismatch instead of
stopping at the first.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bpmn.durations import parse_duration
from engine import consultations, dossiers, fees, interagency, letters
from engine.clock import FrozenClock
from engine.errors import EngineError
from engine.models import OPEN_TASK_STATES, Agency, AgencyHandover, AuditEvent, Membership, Task, User

SCENARIOS_DIR = "scenarios"
_TOP = ("name", "description", "reception", "steps", "expect")
_RECEPTION = ("at", "channel", "agency", "clock_started_at", "applicant", "data")
_STEP = ("task", "role", "spent", "at", "data", "action", "duration", "reason")
_EXPECT = ("status", "appointment_at", "due_at", "legal_due_at", "closed_at", "on_time", "fees_due", "paid",
           "error", "silent", "handovers", "shares_on_time")
DEFAULT_APPLICANT = {"name": "Nguyễn Văn An"}


class ScenarioError(ValueError):
    """A scenario file that cannot be read; the message names the file and the key."""


@dataclass(frozen=True)
class Scenario:
    file: str
    name: str
    reception: dict
    steps: list[dict]
    expect: dict


@dataclass
class Outcome:
    scenario: Scenario
    failures: list[str] = field(default_factory=list)
    dossier_code: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failures


def _instant(value: Any, where: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ScenarioError(f"{where}: {value!r} is not a date-time") from None
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ScenarioError(f"{where}: a date-time with its offset is needed, like 2026-03-02T09:00:00+07:00")
    return value


def _check_keys(table: Any, known: tuple[str, ...], where: str) -> dict:
    if not isinstance(table, dict):
        raise ScenarioError(f"{where}: must be a table")
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(known)})")
    return table


def load_scenario(path: Path) -> Scenario:
    """Read and check one scenario file."""
    name = str(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{name}: {exc}") from None
    _check_keys(table, _TOP, name)
    if not isinstance(table.get("name"), str) or not table["name"].strip():
        raise ScenarioError(f"{name}: name: a non-empty text is required")
    reception = _check_keys(table.get("reception"), _RECEPTION, f"{name} [reception]")
    reception["at"] = _instant(reception.get("at"), f"{name} [reception] at")
    if "clock_started_at" in reception:
        reception["clock_started_at"] = _instant(reception["clock_started_at"], f"{name} [reception] clock_started_at")
    steps = table.get("steps", [])
    if not isinstance(steps, list):
        raise ScenarioError(f"{name}: steps must be an array of tables ([[steps]])")
    for i, step in enumerate(steps, 1):
        where = f"{name} [[steps]] #{i}"
        _check_keys(step, _STEP, where)
        if step.get("action", "complete") not in ("complete", "extend", "scheduler", "confirm"):
            raise ScenarioError(f"{where} action: {step['action']!r} is not complete, extend, scheduler or confirm")
        if step.get("action") not in ("extend", "scheduler") and not isinstance(step.get("task"), str):
            raise ScenarioError(f"{where} task: the id of the task met is required")
        if "at" in step:
            step["at"] = _instant(step["at"], f"{where} at")
        for key in ("spent", "duration"):
            if key in step:
                try:
                    parse_duration(step[key])
                except (ValueError, TypeError) as exc:
                    raise ScenarioError(f"{where} {key}: {exc}") from None
    expect = _check_keys(table.get("expect", {}), _EXPECT, f"{name} [expect]")
    for key in ("appointment_at", "due_at", "legal_due_at", "closed_at"):
        if key in expect:
            expect[key] = _instant(expect[key], f"{name} [expect] {key}")
    if "status" not in expect and "error" not in expect:
        raise ScenarioError(f"{name} [expect]: status (the expected end status) is required")
    return Scenario(name, table["name"], reception, steps, expect)


def scenario_files(folder: Path) -> list[Path]:
    return sorted((Path(folder) / SCENARIOS_DIR).glob("*.toml"))


def _official(session: Session, agency_id: int, role: str) -> User:
    user = session.scalars(select(User).join(Membership, Membership.user_id == User.id)
                           .where(Membership.agency_id == agency_id, Membership.role == role, User.is_active)
                           .order_by(User.username)).first()
    if user is None:
        raise ScenarioError(f"no active official holds the role '{role}' in agency {agency_id}")
    return user


def _reception_agency(session: Session, kind: str, code: str | None) -> Agency:
    query = select(Agency).where(Agency.code == code) if code else (
        select(Agency).join(Membership, Membership.agency_id == Agency.id)
        .where(Agency.kind == kind, Membership.role == "reception").order_by(Agency.code))
    agency = session.scalars(query).first()
    if agency is None:
        raise ScenarioError(f"no agency {code!r}" if code else f"no agency of kind '{kind}' with a reception desk")
    return agency


def run_scenario(rt, session: Session, slug: str, scenario: Scenario) -> Outcome:
    """Walk one dossier of procedure `slug` through the scenario; commit after each action."""
    out = Outcome(scenario)
    calendar = rt.calendars.get(session)
    clock = rt.clock if isinstance(rt.clock, FrozenClock) else None
    rec = scenario.reception
    now = rec["at"]
    if clock:
        clock.set(now)
    meta = dossiers.current_version(rt, session, slug).meta
    agency = _reception_agency(session, meta.agency_kind, rec.get("agency"))
    data = dict(rec.get("data", {}))
    channel = rec.get("channel", "counter")
    expect = scenario.expect
    try:
        result = dossiers.receive_dossier(
            rt, session, procedure=slug, agency_id=agency.id, channel=channel,
            applicant=rec.get("applicant", DEFAULT_APPLICANT), actor=_official(session, agency.id, "reception"),
            now=now, data=data, clock_started_at=rec.get("clock_started_at"))
        session.commit()
        dossier = result.dossier
        out.dossier_code = dossier.code
        appointment = dossier.appointment_at
        for i, step in enumerate(scenario.steps, 1):
            now = step["at"] if "at" in step else calendar.add(now, parse_duration(step.get("spent", "PT0S")))
            if clock:
                clock.set(now)
            if step.get("action") == "extend":
                leader = _official(session, dossier.agency_id, step.get("role", "leader"))
                letters.record_extension(rt, session, dossier.id, duration=step["duration"],
                                         reason=step.get("reason", "Theo quy định của thủ tục"), actor=leader, now=now)
                session.commit()
                continue
            if step.get("action") == "scheduler":
                session.commit()
                consultations.apply_silence(rt, now)
                session.expire_all()
                continue
            open_rows = session.scalars(select(Task).where(Task.dossier_id == dossier.id,
                                                           Task.state.in_(OPEN_TASK_STATES))).all()
            task = next((t for t in open_rows if t.bpmn_id == step["task"]), None)
            if task is None:
                out.failures.append(f"step {i}: expected task '{step['task']}', open: "
                                    f"{sorted(t.bpmn_id for t in open_rows) or 'none'}")
                return out
            if step.get("role") and step["role"] != task.role:
                out.failures.append(f"step {i} ({task.bpmn_id}): acted by {task.role}, not {step['role']}")
            actor = _official(session, task.agency_id, task.role)
            if step.get("action") == "confirm":
                for handover_id in interagency.waiting_for(session, actor, dossier.id):
                    interagency.confirm(session, handover_id, actor=actor, now=now)
                session.commit()
                continue
            dossiers.complete_task(rt, session, task.id, dict(step.get("data", {})), actor=actor, now=now)
            session.commit()
    except EngineError as exc:
        session.rollback()
        if "error" in expect and expect["error"] in str(exc) + str(getattr(exc, "errors", "")):
            return out
        out.failures.append(f"refused: {exc} {getattr(exc, 'errors', '') or ''}".strip())
        return out
    if "error" in expect:
        out.failures.append(f"expected a refusal mentioning {expect['error']!r}, the scenario went through")
    session.refresh(dossier)
    actual = {"status": dossier.status, "appointment_at": appointment, "due_at": dossier.due_at,
              "legal_due_at": dossier.legal_due_at, "closed_at": dossier.closed_at,
              "on_time": dossier.closed_at is not None and dossier.closed_at <= dossier.legal_due_at,
              "fees_due": fees.fees_due(meta, data, channel), "paid": fees.paid_total(session, dossier.id),
              "silent": sorted(e.detail["step"] for e in session.scalars(
                  select(AuditEvent).where(AuditEvent.dossier_id == dossier.id,
                                           AuditEvent.action == "consultation_silence"))),
              "handovers": session.scalar(select(func.count(AgencyHandover.id)).where(
                  AgencyHandover.dossier_id == dossier.id, AgencyHandover.from_agency_id.is_not(None))),
              "shares_on_time": all(r.share_due_at is None or (r.share_ended_at is not None
                                                               and r.share_ended_at <= r.share_due_at)
                                    for r in session.scalars(select(AgencyHandover).where(
                                        AgencyHandover.dossier_id == dossier.id)))}
    for key, want in expect.items():
        if key == "error":
            continue
        got = actual[key]
        if got != want:
            shown = got.astimezone(want.tzinfo).isoformat() if isinstance(got, dt.datetime) and \
                isinstance(want, dt.datetime) else got
            out.failures.append(f"{key}: expected {want.isoformat() if isinstance(want, dt.datetime) else want!r}, "
                                f"got {shown!r}")
    return out
