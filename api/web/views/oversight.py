"""Supervision pages (Giám sát): the escalation inbox with the daily digest, the risk board with its charts,
form II.06a with its files, the Decision 766 indicators, the annual evaluation, and the apology letters
(form 04) a leader issues.

Every figure and every permission is the engine's (engine.oversight, engine.escalation, engine.supervision,
engine.letters); the pages draw them. Charts are SVG drawn here on the server: no script, no new package.
Files (CSV, XLSX, PDF) are the API's, which the signed-in browser opens with its session.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api import context
from api.web import bp, i18n
from api.web.pages import actor, safe_next
from api.web.views.tracking import _date
from engine import escalation, letters, reports, supervision
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.oversight import board, digest, evaluation, indicators
from engine.oversight import inbox as escalation_inbox
from engine.oversight import letters as oversight_letters

#: the width of a chart's bars, in SVG user units
BAR_WIDTH = 520
#: the board's parts in the order a bar stacks them, with their colours (the badges' colours)
PARTS = (("on_track", "#1f7a3a"), ("at_risk", "#d99a00"), ("overdue", "#b3261e"), ("paused", "#7a8594"))


def _error_text(exc: InvalidInput) -> dict[str, str]:
    return {k: "; ".join(v) for k, v in (exc.errors or {}).items()} or {"form": exc.detail}


# -- the escalation inbox and the digest -------------------------------------------------------------------


@bp.get("/canh-bao")
def escalations():
    session = context.session()
    open_only = request.args.get("open") == "1"
    raw = request.args.get("before", "")
    page = escalation_inbox.escalation_page(session, actor=actor(), open_only=open_only,
                                            before_id=int(raw) if raw.isdigit() else None)
    try:
        lines = digest.digest(session, actor=actor(), now=context.now())
    except Forbidden:
        lines = None  # not a leader or supervisor anywhere: no digest
    return render_template("oversight_escalations.html", title=_("Escalations"), section="oversight", tab="escalations",
                           page=page.page, reassign_to=page.reassign_to, open_only=open_only, digest=lines,
                           now_label=i18n.format_time(context.now()))


def _back():
    return redirect(safe_next(request.form.get("next"), url_for("web.escalations")))


@bp.post("/canh-bao/<int:escalation_id>/da-doc")
def escalation_read(escalation_id: int):
    escalation.mark_read(context.session(), escalation_id, user=actor(), now=context.now())
    context.commit()
    return _back()


@bp.post("/canh-bao/<int:escalation_id>/xac-nhan")
def escalation_acknowledge(escalation_id: int):
    comment = request.form.get("comment", "").strip() or None
    escalation.acknowledge(context.session(), escalation_id, user=actor(), now=context.now(), comment=comment)
    context.commit()
    flash(_("The escalation is acknowledged."))
    return _back()


@bp.post("/canh-bao/<int:escalation_id>/giao-lai")
def escalation_reassign(escalation_id: int):
    raw = request.form.get("assignee_id", "")
    if not raw.isdigit():
        raise InvalidInput("choose a colleague", {"assignee_id": ["required"]})
    escalation.reassign(context.runtime(), context.session(), escalation_id, int(raw), user=actor(),
                        now=context.now(), comment=request.form.get("comment", "").strip() or None)
    context.commit()
    flash(_("The step has been handed over and the escalation acknowledged."))
    return _back()


# -- the risk board ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    part: str
    count: int
    x: float
    width: float
    colour: str
    href: str


@dataclass(frozen=True)
class Bar:
    row: board.BoardRow
    segments: list[Segment]
    href: str


def _drill(by: str, key: int | None, level: str, agency_id: int | None) -> str:
    query = {"by": by, "level": level, **({"key": key} if key is not None else {}),
             **({"agency_id": agency_id} if agency_id else {})}
    return url_for("web.risk_board_dossiers") + "?" + urlencode(query)


def _bars(result: board.Board, agency_id: int | None) -> list[Bar]:
    """Stacked bars, one per row, scaled on the largest row: on track, at risk, overdue, paused."""
    largest = max([r.open for r in result.rows] or [1]) or 1
    bars = []
    for row in result.rows:
        counts = {"on_track": row.open - row.at_risk - row.overdue - row.paused, "at_risk": row.at_risk,
                  "overdue": row.overdue, "paused": row.paused}
        x, segments = 0.0, []
        for part, colour in PARTS:
            width = BAR_WIDTH * counts[part] / largest
            if counts[part]:
                segments.append(Segment(part, counts[part], round(x, 1), round(width, 1), colour,
                                        _drill(result.by, row.key, part if part != "on_track" else "open", agency_id)))
            x += width
        bars.append(Bar(row, segments, _drill(result.by, row.key, "open", agency_id)))
    return bars


def _agency_arg() -> int | None:
    raw = request.args.get("agency_id", "")
    return int(raw) if raw.isdigit() else None


@bp.get("/giam-sat/rui-ro")
def risk_board():
    session = context.session()
    by = request.args.get("by", "agency")
    agency_id = _agency_arg()
    agencies = board.agencies_to_choose(session, actor(), supervision.WATCH_ROLES)
    result = board.risk_board(session, actor=actor(), now=context.now(), by=by, agency_id=agency_id) if agencies else None
    return render_template("oversight_board.html", title=_("Risk board"), section="oversight", tab="board",
                           board=result, bars=_bars(result, agency_id) if result else [], bar_width=BAR_WIDTH,
                           parts=PARTS, agencies=agencies, agency_id=agency_id,
                           drill=lambda key, level: _drill(by, key, level, agency_id))


@bp.get("/giam-sat/rui-ro/ho-so")
def risk_board_dossiers():
    by, level = request.args.get("by", "agency"), request.args.get("level", "open")
    raw = request.args.get("key", "")
    key = int(raw) if raw.isdigit() else None
    rows = board.board_dossiers(context.session(), actor=actor(), now=context.now(), by=by, key=key, level=level,
                                agency_id=_agency_arg())
    return render_template("oversight_board_dossiers.html", title=_("Dossiers behind the figure"),
                           section="oversight", tab="board", rows=rows, by=by, level=level, key=key,
                           limit=board.MAX_DRILL)


# -- form II.06a ----------------------------------------------------------------------------------------


def _period() -> tuple[dt.date, dt.date, dict]:
    today = i18n.local(context.now()).date()
    errors: dict[str, str] = {}
    return _date("from", today.replace(day=1), errors), _date("to", today, errors), errors


@bp.get("/giam-sat/bao-cao")
def report_06a():
    session = context.session()
    start, end, errors = _period()
    by = request.args.get("by", "procedure")
    agency_id = _agency_arg()
    agencies = board.agencies_to_choose(session, actor(), supervision.REPORT_ROLES)
    report, status = None, 200
    if agencies and not errors:
        try:
            report = supervision.period_report(context.runtime(), session, actor=actor(), start=start, end=end, by=by,
                                               agency_id=agency_id, now=context.now())
        except InvalidInput as exc:
            errors.update(_error_text(exc))
            status = 422
    query = urlencode({"from": start.isoformat(), "to": end.isoformat(), "by": by,
                       **({"agency_id": agency_id} if agency_id else {})})
    return render_template("oversight_report.html", title=_("Report II.06a"), section="oversight", tab="report",
                           report=report, start=start, end=end, by=by, agencies=agencies, agency_id=agency_id,
                           errors=errors, query=query, columns=reports.COLUMNS), status


# -- Decision 766 -------------------------------------------------------------------------------------------


def _chosen(agencies) -> int | None:
    agency_id = _agency_arg()
    if agency_id is None and agencies:
        agency_id = agencies[0].id
    return agency_id


@bp.get("/giam-sat/chi-so-766")
def indicators_766():
    session = context.session()
    start, end, errors = _period()
    if "from" not in request.args:
        start = start.replace(month=1, day=1)  # a year so far
    agencies = board.agencies_to_choose(session, actor(), supervision.REPORT_ROLES)
    agency_id = _chosen(agencies)
    result, status = None, 200
    if agencies and not errors:
        try:
            result = indicators.indicators(context.runtime(), session, actor=actor(), agency_id=agency_id,
                                           start=start, end=end, now=context.now())
        except InvalidInput as exc:
            errors.update(_error_text(exc))
            status = 422
    query = {"agency_id": agency_id, "from": start.isoformat(), "to": end.isoformat()}
    return render_template("oversight_766.html", title=_("Decision 766 indicators"), section="oversight",
                           tab="766", result=result, agencies=agencies, agency_id=agency_id, start=start, end=end,
                           errors=errors, query=query, urlencode=urlencode), status


@bp.get("/giam-sat/chi-so-766/<code>/ho-so")
def indicator_dossiers(code: str):
    start, end, errors = _period()
    if errors:
        raise InvalidInput("bad period", errors)
    part = request.args.get("part", "counted")
    raw = request.args.get("after", "")
    rows = indicators.indicator_dossiers(context.runtime(), context.session(), actor=actor(), agency_id=_agency_arg(),
                                         code=code, start=start, end=end, now=context.now(), part=part,
                                         after_id=int(raw) if raw.isdigit() else 0)
    more = None
    if len(rows) == indicators.MAX_DRILL:
        more = urlencode({**request.args.to_dict(), "after": rows[-1].id})
    return render_template("oversight_766_dossiers.html", title=_("Dossiers counted"), section="oversight",
                           tab="766", rows=rows, code=code, part=part, start=start, end=end, more=more)


# -- the annual evaluation ------------------------------------------------------------------------------------


@bp.get("/giam-sat/danh-gia")
def evaluation_page():
    session = context.session()
    raw = request.args.get("year", "")
    year = int(raw) if raw.isdigit() else i18n.local(context.now()).year
    agencies = board.agencies_to_choose(session, actor(), supervision.REPORT_ROLES)
    agency_id = _agency_arg()
    result = None
    if agencies:
        result = evaluation.evaluation(session, actor=actor(), year=year, agency_id=agency_id)
    query = urlencode({"year": year, **({"agency_id": agency_id} if agency_id else {})})
    return render_template("oversight_evaluation.html", title=_("Annual evaluation of officials"),
                           section="oversight", tab="evaluation", result=result, year=year, agencies=agencies,
                           agency_id=agency_id, query=query, figures=evaluation.FIGURES)


@bp.post("/giam-sat/danh-gia/tinh-lai")
def evaluation_refresh():
    raw = request.form.get("year", "")
    if not raw.isdigit():
        raise InvalidInput("bad year", {"year": ["a year"]})
    agency = request.form.get("agency_id", "")
    rows = evaluation.refresh(context.runtime(), context.session(), year=int(raw), now=context.now(), actor=actor(),
                              agency_id=int(agency) if agency.isdigit() else None)
    context.commit()
    flash(_("The evaluation of %(year)s was computed again (%(rows)d rows).", year=raw, rows=rows))
    return redirect(url_for("web.evaluation_page", year=raw, **({"agency_id": agency} if agency.isdigit() else {})))


# -- apology letters (form 04) ----------------------------------------------------------------------------


@bp.get("/giam-sat/thu-xin-loi")
def apology_letters():
    start, end, errors = _period()
    if "from" not in request.args:
        start = start - dt.timedelta(days=60)
    rows = []
    if not errors:
        try:
            rows = supervision.letters_in_period(context.runtime(), context.session(), actor=actor(), start=start,
                                                 end=end)
        except Forbidden:
            rows = None
    return render_template("oversight_letters.html", title=_("Apology letters (form 04)"), section="oversight",
                           tab="letters", rows=rows, start=start, end=end, errors=errors)


def _letter_page(dossier_id: int, status: int = 200, errors: dict | None = None, values: dict | None = None):
    rt, session = context.runtime(), context.session()
    view = supervision.letter_of(rt, session, dossier_id, actor=actor())
    may_issue = oversight_letters.may_issue(session, actor(), dossier_id)
    proposed = i18n.local(view.proposed_at).strftime("%Y-%m-%dT%H:%M")
    return render_template("oversight_letter.html", title=_("Apology letter (form 04)"), section="oversight",
                           tab="letters", letter=view, may_issue=bool(may_issue), errors=errors or {},
                           values=values or {}, letter_proposed=proposed), status


@bp.get("/giam-sat/thu-xin-loi/<int:dossier_id>")
def apology_letter(dossier_id: int):
    return _letter_page(dossier_id)


@bp.post("/giam-sat/thu-xin-loi/<int:dossier_id>/ban-hanh")
def apology_letter_issue(dossier_id: int):
    values = {"new_appointment_at": request.form.get("new_appointment_at", ""), "reason": request.form.get("reason", "")}
    errors: dict[str, str] = {}
    try:
        at = dt.datetime.fromisoformat(values["new_appointment_at"])
        at = at.replace(tzinfo=i18n.local(context.now()).tzinfo) if at.tzinfo is None else at
    except ValueError:
        errors["new_appointment_at"] = _("Enter a date and time.")
        return _letter_page(dossier_id, 422, errors, values)
    try:
        letters.issue_letter(context.runtime(), context.session(), dossier_id, new_appointment_at=at,
                             reason=values["reason"], actor=actor(), now=context.now())
        context.commit()
    except InvalidInput as exc:
        context.session().rollback()
        return _letter_page(dossier_id, 422, _error_text(exc), values)
    except Conflict as exc:
        context.session().rollback()
        return _letter_page(dossier_id, 409, {"form": exc.detail}, values)
    flash(_("The apology letter is issued: the new appointment is set."))
    return redirect(url_for("web.apology_letter", dossier_id=dossier_id))
