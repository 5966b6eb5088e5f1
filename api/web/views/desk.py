"""Reception desk (Tiếp nhận hồ sơ): find a procedure, receive a dossier, print the receipt (form 01);
or, for a dossier the desk does not take in, a request to supplement (form 02) or a refusal (form 03).

The procedure is found by its name or code typed with or without diacritics (both sides folded as the
inbox's search folds them). The applicant, the channel and the procedure's own reception form (a
`reception.json` in its package, when it has one) are drawn as JSON Schema fields with the task page's
macros; receiving is the engine's `receive_with_receipt`, as the API's POST /dossiers: its refusals land
beside the fields they name and nothing is stored.
"""
from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api import context
from api.web import bp, forms, i18n, labels
from api.web.pages import actor
from api.web.views import returns
from engine import accounts, boundary, catalog, dossier_views, dossiers, reception
from engine.errors import Conflict, InvalidInput, NotFound
from engine.search import fold

RECEPTION_FORM = dossiers.RECEPTION_FORM
#: the library's diagrams name the desk's step that receives a citizen's supplement so
SUPPLEMENT_STEP = "wait_supplement"
#: how many procedures a search lists
MAX_FOUND = 30


def applicant_schema() -> dict:
    """The applicant block: who files the dossier (the engine requires the name)."""
    return {"type": "object", "required": ["name"], "properties": {
        "name": {"title": _("Full name of the applicant"), "type": "string"},
        "id_number": {"title": _("Identity card number"), "type": "string"},
        "phone": {"title": _("Phone"), "type": "string"},
        "email": {"title": _("E-mail"), "type": "string"},
        "address": {"title": _("Address"), "type": "string"},
    }}


def _channel_schema(meta) -> dict:
    return {"type": "object", "required": ["channel"], "properties": {
        "channel": {"title": _("Channel"), "type": "string", "enum": list(meta.channels),
                    "x-ui": {"widget": "radio", "labels": {c: _channel_word(c) for c in meta.channels}}},
        "clock_started_at": {"title": _("Postmark date and time"), "type": "string", "format": "date-time",
                             "description": _("Only for a dossier that came by post: the legal clock starts at the "
                                              "postmark.")},
    }}


def _channel_word(code: str) -> str:
    return labels.label(labels.CHANNELS, code)


def _matches(entry, folded: str) -> bool:
    meta = entry.meta
    haystack = fold(" ".join(filter(None, (meta.name_vi, meta.name_en, meta.code, meta.local_code, meta.slug,
                                           meta.field))))
    return all(word in haystack for word in folded.split())


def _reception_agencies():
    """The agencies where the official works at the desk (the engine checks the role again on receiving)."""
    return [a for a in accounts.agencies_of(context.session(), actor()) if "reception" in a.roles]


@bp.get("/tiep-nhan")
def desk():
    q = request.args.get("q", "").strip()[:100]
    entries = catalog.list_procedures(context.runtime(), context.session())
    found = [e for e in entries if _matches(e, fold(q))][:MAX_FOUND] if q else entries[:MAX_FOUND]
    # dossiers paused for the citizen's supplement: the desk records what came in (the task page's form)
    waiting = returns.desk_tasks(None, SUPPLEMENT_STEP)
    return render_template("desk.html", title=_("Dossier reception"), section="desk", q=q, found=found,
                           agencies=_reception_agencies(), waiting=waiting)


def _competent(slug: str, agencies, agency_id: int | None):
    """The competent agencies the desk may receive for (engine.boundary), from the receiving point chosen or,
    before a choice, from each of the official's desks; and whether the receiving point itself is one."""
    rt, session = context.runtime(), context.session()
    points = [agency_id] if agency_id is not None else [a.id for a in agencies]
    found, own = {}, False
    for point in points:
        try:
            choice = boundary.competent_agencies(rt, session, slug, point, context.now())
        except NotFound:  # a forged receiving point: the engine refuses it on receiving
            continue
        found.update((a.id, a) for a in choice.agencies)
        own = own or (len(points) == 1 and choice.receiving_is_competent)
    return sorted(found.values(), key=lambda a: (a.name, a.id)), own


def _page(slug: str, values: dict | None = None, errors: dict | None = None, status: int = 200,
          message: str | None = None, slip_values: dict | None = None, slip_errors: dict | None = None):
    entry = catalog.get_procedure(context.runtime(), context.session(), slug)
    meta = entry.meta
    data_schema = (entry.forms or {}).get(RECEPTION_FORM)
    values = values if values is not None else {"channel": "counter" if "counter" in meta.channels else None,
                                                "data": forms.defaults(data_schema or {})}
    errors = errors or {}
    outer = {"type": "object", "properties": {"applicant": {**applicant_schema(), "title": _("Applicant")}}}
    applicant_fields = forms.build(outer, values, errors)[0].children
    channel_fields = forms.build(_channel_schema(meta), values, errors)
    data_fields = []
    if data_schema:
        wrapped = {"type": "object", "properties": {"data": {**data_schema, "type": "object"}}}
        data_fields = forms.build(wrapped, values, errors)[0].children
    drawn = applicant_fields + channel_fields + data_fields
    checked = values.get("documents_checked")
    if checked is None:  # first showing: the required documents, the first of each group of alternatives
        firsts = {d.one_of: i for i, d in reversed(list(enumerate(meta.documents))) if d.one_of}
        checked = [i for i, d in enumerate(meta.documents)
                   if d.required and not d.when and (not d.one_of or firsts[d.one_of] == i)]
    documents = [{"index": i, "doc": d, "checked": i in checked,
                  "copies": (values.get("copies") or {}).get(i, d.copies)} for i, d in enumerate(meta.documents)]
    agencies = _reception_agencies()
    agency_id = values.get("agency_id") or (agencies[0].id if len(agencies) == 1 else None)
    competent, own_competent = _competent(slug, agencies, agency_id) if agencies else ([], False)
    competent_id = values.get("competent_agency_id") or (agency_id if own_competent else None)
    return render_template(
        "desk_procedure.html", title=meta.name_vi, section="desk", entry=entry, meta=meta,
        applicant_fields=applicant_fields, channel_fields=channel_fields, data_fields=data_fields,
        documents=documents, agencies=agencies, agency_id=values.get("agency_id"),
        competent=competent, competent_id=competent_id, own_competent=own_competent,
        competent_errors=[_("Choose the competent agency: this service point does not handle the procedure.")
                          if m.startswith("required") else _("The chosen agency does not handle this procedure.")
                          for m in errors.get("competent_agency_id", [])],
        document_errors=[forms.message(m) for k, ms in errors.items() if k.startswith("documents") for m in ms],
        unplaced=[m for m in forms.unplaced(errors, drawn)
                  if not m.startswith(("documents", "agency_id", "competent_agency_id"))],
        agency_errors=[forms.message(m) for m in errors.get("agency_id", [])],
        message=message, slip=slip_values or {}, slip_errors=slip_errors or {},
        fees_total=sum(f.amount for f in meta.fees),
    ), status


@bp.get("/tiep-nhan/thu-tuc/<slug>")
def desk_procedure(slug: str):
    return _page(slug)


def _read_common(meta) -> dict:
    """Applicant, channel, postmark and agency as the engine takes them, from the submitted form."""
    zone = i18n.local(context.now()).tzinfo
    outer = {"type": "object", "properties": {"applicant": applicant_schema()}}
    values = forms.parse(outer, request.form, zone)
    values.update(forms.parse(_channel_schema(meta), request.form, zone))
    for key in ("agency_id", "competent_agency_id"):
        raw = request.form.get(key, "").strip()
        values[key] = int(raw) if raw.isdigit() else None
    return values


def _agency_or_error(values: dict, errors: dict) -> int | None:
    agency_id = values.get("agency_id")
    if agency_id is None:
        agencies = _reception_agencies()
        if len(agencies) == 1:
            return agencies[0].id
        errors["agency_id"] = [_("Choose the agency receiving the dossier.")]
    return agency_id


@bp.post("/tiep-nhan/thu-tuc/<slug>")
def receive(slug: str):
    rt, session = context.runtime(), context.session()
    entry = catalog.get_procedure(rt, session, slug)
    meta = entry.meta
    data_schema = (entry.forms or {}).get(RECEPTION_FORM)
    values = _read_common(meta)
    zone = i18n.local(context.now()).tzinfo
    # the reception form's fields are drawn under `data.`; read them back from there
    data = forms.parse({"type": "object", "properties": {"data": data_schema}}, request.form, zone).get("data", {}) \
        if data_schema else {}
    checked = sorted(int(k.split(".")[1]) for k in request.form if k.startswith("doc.") and k.split(".")[1].isdigit())
    copies = {}
    for i in range(len(meta.documents)):
        raw = request.form.get(f"copies.{i}", "1").strip()
        copies[i] = int(raw) if raw.isdigit() else raw
    values.update(data=data, documents_checked=checked, copies=copies)
    errors: dict[str, list[str]] = {}
    agency_id = _agency_or_error(values, errors)
    documents = [{"name": meta.documents[i].name_vi, "copies": copies[i]} for i in checked if i < len(meta.documents)]
    started = _instant(values.get("clock_started_at"), errors)
    if not errors:
        try:
            receipt = boundary.receive_at_desk(
                rt, session, receiving_agency_id=agency_id, competent_agency_id=values.get("competent_agency_id"),
                procedure=slug, channel=values.get("channel", ""), applicant=values.get("applicant") or {},
                actor=actor(), now=context.now(), data=data, clock_started_at=started, documents=documents)
            context.commit()
            if receipt.dossier.agency_id != agency_id:  # received for another agency: the desk forwards it
                flash(_("Dossier %(code)s received for %(agency)s: forward it to that agency.",
                        code=receipt.dossier.code, agency=receipt.agency.name))
                return redirect(url_for("web.forwardings"))
            return redirect(url_for("web.desk_received", dossier_id=receipt.dossier.id))
        except InvalidInput as exc:
            session.rollback()
            errors = exc.errors or {"data": [exc.detail]}
        except Conflict as exc:
            session.rollback()
            return _page(slug, values=values, status=409, message=exc.detail)
    return _page(slug, values=values, errors=_placed(errors, data_schema), status=422,
                 message=_("The dossier was not received: correct the fields marked below."))


def _instant(raw, errors):
    """The postmark typed (local time, made zoned by forms.parse), or None; a bad value is the field's error."""
    if raw in (None, ""):
        return None
    try:
        return dt.datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        errors["clock_started_at"] = [_("Enter a date and time.")]
        return None


def _placed(errors: dict, data_schema: dict | None) -> dict:
    """Engine paths of the reception form's own fields are drawn under `data.`."""
    if not data_schema:
        return errors
    own = set(data_schema.get("properties") or {})
    return {(f"data.{k}" if k.split(".")[0] in own else k): v for k, v in errors.items()}


@bp.get("/tiep-nhan/ho-so/<int:dossier_id>")
def desk_received(dossier_id: int):
    detail = dossier_views.dossier_detail(context.runtime(), context.session(), dossier_id, actor=actor(),
                                          now=context.now())
    context.commit()  # the "viewed" audit event, as on the dossier page
    return render_template("desk_received.html", title=_("The dossier has been received"), section="desk", view=detail,
                           dossier=detail.dossier)


def _slip(slug: str, kind: str):
    rt, session = context.runtime(), context.session()
    entry = catalog.get_procedure(rt, session, slug)
    values = _read_common(entry.meta)
    reason = request.form.get("slip_reason", "")
    missing_text = request.form.get("missing_documents", "")
    slip_values = {"reason": reason, "missing": missing_text, "kind": kind}
    errors: dict[str, list[str]] = {}
    agency_id = _agency_or_error(values, errors)
    if not errors:
        try:
            common = dict(procedure=slug, agency_id=agency_id, channel=values.get("channel", ""),
                          applicant=values.get("applicant") or {}, actor=actor(), now=context.now())
            if kind == "supplement":
                missing = [{"name": line.strip()} for line in missing_text.splitlines() if line.strip()]
                slip = reception.request_supplement(rt, session, missing_documents=missing, reason=reason, **common)
            else:
                slip = reception.refuse_at_desk(rt, session, reason=reason, **common)
            context.commit()
            return redirect(url_for("web.desk_procedure", slug=slug, slip=kind, number=slip.record.number))
        except InvalidInput as exc:
            session.rollback()
            errors = exc.errors or {"data": [exc.detail]}
    slip_errors = {k: [forms.message(m) for m in v] for k, v in errors.items()
                   if k in ("reason", "missing_documents") or k.startswith("missing_documents.")}
    other = {k: v for k, v in errors.items() if k not in slip_errors}
    return _page(slug, values=values, errors=other, status=422, slip_values=slip_values, slip_errors=slip_errors,
                 message=_("The slip was not issued: correct the fields marked below."))


@bp.post("/tiep-nhan/thu-tuc/<slug>/yeu-cau-bo-sung")
def desk_supplement(slug: str):
    return _slip(slug, "supplement")


@bp.post("/tiep-nhan/thu-tuc/<slug>/tu-choi")
def desk_refuse(slug: str):
    return _slip(slug, "refusal")


# -- words and addresses the desk's templates share ----------------------------------------------------------

@bp.app_template_global()
def deadline_words(deadline) -> str:
    units = {"working_days": _("%(n)s working days"), "working_hours": _("%(n)s working hours"),
             "calendar_days": _("%(n)s calendar days"), "same_day": _("the same working day")}
    word = units.get(deadline.unit)
    return word % {"n": deadline.value} if word else f"{deadline.value} {deadline.unit}"


@bp.app_template_global()
def money(amount: int) -> str:
    """`100.000 đồng`: VND grouped by dots, as written in Vietnam."""
    return f"{amount:,}".replace(",", ".") + " " + _("VND")


@bp.app_template_global()
def receipt_pdf_url(dossier_id: int) -> str:
    """The receipt (form 01) as a PDF, made by the API (api/printing) and reprinted from there at any time."""
    return f"/api/v1/dossiers/{dossier_id}/receipt.pdf"


@bp.app_template_global()
def slip_pdf_url(kind: str, number: str) -> str:
    """Form 02 or 03 as a PDF, made by the API."""
    from urllib.parse import quote

    folder = "refusals" if kind == "refusal" else "supplement-requests"
    return f"/api/v1/reception/{folder}/{quote(number)}.pdf"
