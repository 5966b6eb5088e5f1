"""Tracking book (Sổ theo dõi hồ sơ, form 06) for a period: a page, with links to its CSV and PDF.

The book is the engine's (engine.tracking_book, as the API's GET /tracking-book): it decides whose book the
official may read. The period defaults to the current month so far.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from flask import Response, render_template, request
from flask_babel import gettext as _

from api import context
from api.web import bp, i18n
from api.web.pages import actor
from engine import accounts, dossier_views
from engine import tracking_book as book_engine
from engine.errors import InvalidInput


def _date(name: str, default: dt.date, errors: dict) -> dt.date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Enter a date like 2026-12-31.")
        return default


def _agencies():
    return [a for a in accounts.agencies_of(context.session(), actor())
            if set(a.roles) & book_engine.BOOK_ROLES]


def _read():
    today = i18n.local(context.now()).date()
    errors: dict[str, str] = {}
    start = _date("from", today.replace(day=1), errors)
    end = _date("to", today, errors)
    raw = request.args.get("agency_id", "")
    agency_id = int(raw) if raw.isdigit() else None
    return start, end, agency_id, errors


@bp.get("/so-theo-doi")
def tracking_book():
    rt, session = context.runtime(), context.session()
    start, end, agency_id, errors = _read()
    agencies = _agencies()
    book, status = None, 200
    if agencies and not errors:
        try:
            chosen = book_engine.book_agency(actor(), agency_id if agency_id is not None else
                                             (agencies[0].id if len(agencies) > 1 else None))
            book = book_engine.tracking_book(rt, session, agency_id=chosen, start=start, end=end, actor=actor())
        except InvalidInput as exc:
            errors.update({k: "; ".join(v) for k, v in (exc.errors or {}).items()})
            if "to" in errors:
                errors["to"] = _("On or after the first day, at most 366 days later.")
            status = 422
    query = urlencode({"from": start.isoformat(), "to": end.isoformat(),
                       **({"agency_id": book.agency_id} if book else {})})
    return render_template("tracking.html", title=_("Dossier tracking book"), section="tracking", book=book,
                           start=start, end=end, agencies=agencies, errors=errors, query=query,
                           agency_id=book.agency_id if book else agency_id), status


@bp.get("/so-theo-doi.csv")
def tracking_book_csv():
    rt, session = context.runtime(), context.session()
    start, end, agency_id, errors = _read()
    book = book_engine.tracking_book(rt, session, agency_id=book_engine.book_agency(actor(), agency_id),
                                     start=start, end=end, actor=actor())
    name = f"so-theo-doi-ho-so-{book.agency_code}-{book.start:%Y%m%d}-{book.end:%Y%m%d}.csv"
    return Response(book_engine.tracking_book_csv(book, dossier_views.local_zone(rt)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
