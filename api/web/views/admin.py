"""Administration pages: the agency tree, officials and their roles, the calendar's day swaps, procedures
per agency and the administrative audit trail. Each handler calls one engine function (engine.admin), which
decides who may do it; a refusal is the engine's, shown as a page (404 on a page that only shows).
"""
from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api import context
from api.web import bp, i18n
from api.web.pages import actor
from engine.admin import agencies, calendar, history, officials, procedures
from engine.admin.scope import is_administrator
from engine.errors import InvalidInput


@bp.app_context_processor
def _admin_menu():
    from api.auth import current_actor

    if request.blueprint != "web":
        return {}
    return {"may_administer": is_administrator(current_actor())}


def _errors(exc: InvalidInput) -> dict[str, str]:
    return {name.split(".")[-1] if name.startswith(("roles.", "grant.")) else name: "; ".join(msgs)
            for name, msgs in (exc.errors or {}).items()}


def _date(name: str, errors: dict) -> dt.date | None:
    raw = (request.values.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Enter a date like 2026-12-31.")
        return None


def _int(name: str) -> int | None:
    raw = (request.values.get(name) or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


# -- agencies -----------------------------------------------------------------------------------------------

def _agencies_page(form: dict | None = None, errors: dict | None = None, status: int = 200):
    errors = dict(errors or {})
    as_of = _date("as_of", errors) if request.method == "GET" else None
    session = context.session()
    tree = agencies.agency_tree(session, actor(), as_of=as_of)
    today = i18n.local(context.now()).date()
    return render_template("admin_agencies.html", title=_("Agencies"), section="admin", admin_tab="agencies",
                           tree=tree, all_agencies=agencies.agency_tree(session, actor()), as_of=as_of, today=today,
                           form=form or {}, errors=errors, levels=agencies.SUGGESTED_LEVELS,
                           kinds=agencies.SUGGESTED_KINDS), status if not errors or status != 200 else 422


def _agency_fields(errors: dict) -> dict:
    return {"name": request.form.get("name", ""), "name_en": request.form.get("name_en") or None,
            "level": request.form.get("level", ""), "kind": request.form.get("kind", ""),
            "parent_id": _int("parent_id"), "valid_from": _date("valid_from", errors),
            "valid_until": _date("valid_until", errors)}


@bp.get("/quan-tri")
@bp.get("/quan-tri/co-quan")
def admin_agencies():
    return _agencies_page()


@bp.post("/quan-tri/co-quan")
def admin_agency_create():
    errors: dict = {}
    fields = _agency_fields(errors)
    code = request.form.get("code", "")
    if errors:
        return _agencies_page(request.form, errors, 422)
    try:
        row = agencies.create_agency(context.session(), actor=actor(), now=context.now(), code=code, **fields)
    except InvalidInput as exc:
        return _agencies_page(request.form, _errors(exc), 422)
    context.commit()
    flash(_("Agency %(code)s created.", code=row.code))
    return redirect(url_for("web.admin_agency", agency_id=row.id))


def _agency_page(agency_id: int, form: dict | None = None, errors: dict | None = None, status: int = 200):
    session = context.session()
    agency = agencies.get_agency(session, actor(), agency_id)
    return render_template("admin_agency.html", title=agency.name, section="admin", admin_tab="agencies",
                           agency=agency, all_agencies=agencies.agency_tree(session, actor()),
                           offered=procedures.agency_procedures(session, agency_id, actor=actor()),
                           form=form, errors=errors or {}, levels=agencies.SUGGESTED_LEVELS,
                           kinds=agencies.SUGGESTED_KINDS), status


@bp.get("/quan-tri/co-quan/<int:agency_id>")
def admin_agency(agency_id: int):
    return _agency_page(agency_id)


@bp.post("/quan-tri/co-quan/<int:agency_id>")
def admin_agency_update(agency_id: int):
    errors: dict = {}
    fields = _agency_fields(errors)
    if errors:
        return _agency_page(agency_id, request.form, errors, 422)
    try:
        agencies.update_agency(context.session(), agency_id, fields, actor=actor(), now=context.now())
    except InvalidInput as exc:
        return _agency_page(agency_id, request.form, _errors(exc), 422)
    context.commit()
    flash(_("The agency was saved."))
    return redirect(url_for("web.admin_agency", agency_id=agency_id))


@bp.post("/quan-tri/co-quan/<int:agency_id>/thu-tuc/<slug>")
def admin_agency_procedure(agency_id: int, slug: str):
    try:
        procedures.set_agency_procedure(context.session(), agency_id, slug, actor=actor(), now=context.now(),
                                        enabled=request.form.get("enabled") == "on",
                                        local_code=request.form.get("local_code"),
                                        contact=request.form.get("contact"))
    except InvalidInput as exc:
        return _agency_page(agency_id, None, {f"{slug}.{k}": v for k, v in _errors(exc).items()}, 422)
    context.commit()
    flash(_("The procedure's settings were saved."))
    return redirect(url_for("web.admin_agency", agency_id=agency_id) + f"#p-{slug}")


# -- officials ----------------------------------------------------------------------------------------------

def _officials_page(form: dict | None = None, errors: dict | None = None, status: int = 200):
    session = context.session()
    return render_template("admin_officials.html", title=_("Officials"), section="admin", admin_tab="officials",
                           officials=officials.list_officials(session, actor()),
                           all_agencies=agencies.agency_tree(session, actor(), as_of=i18n.local(context.now()).date()),
                           roles=officials.KNOWN_ROLES, form=form or {}, errors=errors or {}), status


@bp.get("/quan-tri/can-bo")
def admin_officials():
    return _officials_page()


@bp.post("/quan-tri/can-bo")
def admin_official_create():
    agency_id, role = _int("agency_id"), request.form.get("role", "")
    roles = [(agency_id, role)] if agency_id is not None or role else []
    try:
        made = officials.create_official(context.session(), actor=actor(), now=context.now(),
                                         username=request.form.get("username", ""),
                                         full_name=request.form.get("full_name", ""),
                                         email=request.form.get("email"), roles=roles,
                                         is_admin=request.form.get("is_admin") == "on")
    except InvalidInput as exc:
        return _officials_page(request.form, _errors(exc), 422)
    context.commit()
    return _official_page(made.user.id, secret=made.temporary_password, created=True)


def _official_page(user_id: int, secret: str | None = None, created: bool = False, errors: dict | None = None,
                   status: int = 200):
    session = context.session()
    user = officials.get_official(session, actor(), user_id)
    names = {a.id: a for a in agencies.agency_tree(session, actor())}
    return render_template("admin_official.html", title=user.full_name, section="admin", admin_tab="officials",
                           official=user, names=names, secret=secret, created=created,
                           all_agencies=agencies.agency_tree(session, actor(), as_of=i18n.local(context.now()).date()),
                           roles=officials.KNOWN_ROLES, errors=errors or {}), status


@bp.get("/quan-tri/can-bo/<int:user_id>")
def admin_official(user_id: int):
    return _official_page(user_id)


@bp.post("/quan-tri/can-bo/<int:user_id>/vai-tro")
def admin_role_grant(user_id: int):
    agency_id = _int("agency_id")
    try:
        officials.grant_role(context.session(), user_id, agency_id, request.form.get("role", ""), actor=actor(),
                             now=context.now())
    except InvalidInput as exc:
        return _official_page(user_id, errors=_errors(exc), status=422)
    context.commit()
    flash(_("The role was granted."))
    return redirect(url_for("web.admin_official", user_id=user_id))


@bp.post("/quan-tri/can-bo/<int:user_id>/vai-tro/thu-hoi")
def admin_role_withdraw(user_id: int):
    returned = officials.withdraw_role(context.session(), user_id, _int("agency_id") or 0,
                                       request.form.get("role", ""), actor=actor(), now=context.now())
    context.commit()
    flash(_("The role was withdrawn; %(count)d open task(s) returned to the group's inbox.", count=returned))
    return redirect(url_for("web.admin_official", user_id=user_id))


@bp.post("/quan-tri/can-bo/<int:user_id>/vo-hieu")
def admin_official_deactivate(user_id: int):
    done = officials.deactivate(context.session(), user_id, actor=actor(), now=context.now())
    context.commit()
    flash(_("The account was deactivated and signed out everywhere; %(count)d open task(s) returned to their "
            "group's inbox.", count=done.tasks_returned))
    return redirect(url_for("web.admin_official", user_id=user_id))


@bp.post("/quan-tri/can-bo/<int:user_id>/kich-hoat")
def admin_official_reactivate(user_id: int):
    made = officials.reactivate(context.session(), user_id, actor=actor(), now=context.now())
    context.commit()
    return _official_page(user_id, secret=made.temporary_password)


@bp.post("/quan-tri/can-bo/<int:user_id>/dat-lai-mat-khau")
def admin_password_reset(user_id: int):
    made = officials.reset_password(context.session(), user_id, actor=actor(), now=context.now())
    context.commit()
    return _official_page(user_id, secret=made.temporary_password)


# -- calendar -----------------------------------------------------------------------------------------------

def _calendar_page(year: int, form: dict | None = None, errors: dict | None = None, status: int = 200):
    view = calendar.calendar_year(context.runtime(), context.session(), year, actor=actor())
    return render_template("admin_calendar.html", title=_("Working calendar"), section="admin",
                           admin_tab="calendar", view=view, form=form or {}, errors=errors or {}), status


def _year() -> int:
    year = _int("year")
    return year if year is not None and 1900 <= year <= 2999 else i18n.local(context.now()).year


@bp.get("/quan-tri/lich")
def admin_calendar():
    return _calendar_page(_year())


@bp.post("/quan-tri/lich")
def admin_calendar_set():
    errors: dict = {}
    day = _date("day", errors)
    if day is None and not errors:
        errors["day"] = _("Enter a date like 2026-12-31.")
    kind = request.form.get("kind")
    if kind not in ("off", "working"):
        errors["kind"] = _("Choose a day off or a working day.")
    if not errors:
        try:
            calendar.set_day(context.runtime(), context.session(), day, is_working=kind == "working",
                             name=request.form.get("name", ""), actor=actor(), now=context.now())
        except InvalidInput as exc:
            errors = _errors(exc)
    if errors:
        return _calendar_page(day.year if day else _year(), request.form, errors, 422)
    context.commit()
    flash(_("The calendar was changed."))
    return redirect(url_for("web.admin_calendar", year=day.year))


@bp.post("/quan-tri/lich/xoa")
def admin_calendar_clear():
    errors: dict = {}
    day = _date("day", errors)
    if day is None:
        return _calendar_page(_year(), None, {"day": _("Enter a date like 2026-12-31.")}, 422)
    calendar.clear_day(context.runtime(), context.session(), day, actor=actor(), now=context.now())
    context.commit()
    flash(_("The calendar was changed."))
    return redirect(url_for("web.admin_calendar", year=day.year))


# -- audit --------------------------------------------------------------------------------------------------

@bp.get("/quan-tri/nhat-ky")
def admin_audit():
    events = history.admin_history(context.session(), actor=actor(), limit=300)
    return render_template("admin_audit.html", title=_("Administration log"), section="admin", admin_tab="audit",
                           events=events)
