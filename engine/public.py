"""What a citizen sees with the code and secret printed on the receipt: status and dates, never personal data;
and the citizen's rating of the service (đánh giá mức độ hài lòng), once, after the result came back.
"""
from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import Conflict, InvalidInput, NotFound
from engine.models import OPEN_TASK_STATES, Agency, Dossier, Procedure, ProcedureVersion, Rating, Task
from engine.printouts import latest_supplement_request

#: a rating is taken once the citizen has the result — or the written refusal — in hand
RATEABLE_STATUSES = ("returned", "refused")
MAX_CRITERIA = 20
MAX_COMMENT = 2000
_CRITERION = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Compared against when the code is unknown, so that the answer takes as long as for a wrong secret.
_NO_SECRET = "\x00" * 8
_NOT_FOUND = "no dossier with this code and secret"


@dataclass(frozen=True)
class PublicStatus:
    """The public face of a dossier: nothing here may identify the applicant."""

    code: str
    procedure_code: str
    procedure_name: str
    agency_name: str
    status: str
    received_at: dt.datetime
    appointment_at: dt.datetime
    due_at: dt.datetime
    closed_at: dt.datetime | None
    is_paused: bool
    current_steps: list[str]
    may_rate: bool
    is_rated: bool
    #: how the dossier came in (counter, postal, online): how the result goes back unless the citizen chose
    channel: str = "counter"
    #: while a supplement is awaited: the list from form 02 (name, copy type, quantity, what to complete)
    missing_documents: list[dict] = field(default_factory=list)
    #: once returned: how (counter, postal, online) and the post's tracking number; never who received it
    delivery: str | None = None
    postal_tracking: str | None = None


def _normalize(secret: str) -> str:
    """The secret as printed: case and spaces or dashes typed by the citizen do not matter."""
    return re.sub(r"[\s-]", "", secret or "").upper()


def _find(session: Session, code: str, secret: str) -> Dossier:
    """The dossier with this code and secret; the same NotFound whether the code or the secret is wrong."""
    dossier = session.scalars(select(Dossier).where(Dossier.code == (code or "").strip())).first()
    expected = dossier.lookup_secret if dossier is not None else _NO_SECRET
    # compare_digest takes the same time wherever the strings differ: the secret cannot be guessed by timing.
    if not hmac.compare_digest(expected.encode(), _normalize(secret).encode()) or dossier is None:
        raise NotFound(_NOT_FOUND)
    return dossier


def lookup(session: Session, code: str, secret: str) -> PublicStatus:
    """The status, dates and current steps of the dossier with this code and secret."""
    dossier = _find(session, code, secret)
    proc_code, proc_name, agency_name = session.execute(
        select(Procedure.code, Procedure.name_vi, Agency.name)
        .select_from(ProcedureVersion).join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        .join(Agency, Agency.id == dossier.agency_id)
        .where(ProcedureVersion.id == dossier.procedure_version_id)
    ).one()
    steps = list(session.scalars(select(Task.name).where(Task.dossier_id == dossier.id,
                                                         Task.state.in_(OPEN_TASK_STATES)).order_by(Task.id)))
    rated = session.scalar(select(Rating.id).where(Rating.dossier_id == dossier.id)) is not None
    delivery = dossier.result_delivery or {}
    return PublicStatus(
        code=dossier.code, procedure_code=proc_code, procedure_name=proc_name, agency_name=agency_name,
        status=dossier.status, received_at=dossier.received_at, appointment_at=dossier.appointment_at,
        due_at=dossier.due_at, closed_at=dossier.closed_at, is_paused=dossier.paused_at is not None,
        current_steps=steps, may_rate=dossier.status in RATEABLE_STATUSES and not rated, is_rated=rated,
        channel=dossier.channel,
        missing_documents=missing_documents(session, dossier) if dossier.paused_at is not None else [],
        delivery=delivery.get("delivery") if dossier.closed_at else None,
        postal_tracking=delivery.get("postal_tracking") if delivery.get("delivery") == "postal" else None,
    )


#: what a line of form 02 may say in public: the document, never who it belongs to
_DOCUMENT_KEYS = ("name", "copy_type", "quantity", "note")


def missing_documents(session: Session, dossier: Dossier) -> list[dict]:
    """The documents asked for by the latest supplement request of the dossier (the list on form 02).

    An in-process request is the step completed with `missing_documents` in its form (its audit event);
    none when the dossier waits for nothing listed.
    """
    event = latest_supplement_request(session, dossier.id)
    if event is None:
        return []
    listed = event.detail["data"]["missing_documents"]
    return [{k: item[k] for k in _DOCUMENT_KEYS if k in item} for item in listed if isinstance(item, dict)]


def _check_rating(score, criteria, comment) -> None:
    errors: dict[str, list[str]] = {}
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        errors["score"] = ["a whole number from 1 to 5"]
    if criteria is not None:
        if not isinstance(criteria, dict) or len(criteria) > MAX_CRITERIA:
            errors["criteria"] = [f"an object of at most {MAX_CRITERIA} criteria"]
        else:
            for key, value in criteria.items():
                if not _CRITERION.match(str(key)):
                    errors[f"criteria.{key}"] = ["criterion names are lower-case letters, digits and _"]
                elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                    errors[f"criteria.{key}"] = ["a whole number from 1 to 5"]
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
        errors["comment"] = [f"text of at most {MAX_COMMENT} characters"]
    if errors:
        raise InvalidInput("the rating has errors", errors)


def rate(session: Session, code: str, secret: str, *, score: int, now: dt.datetime,
         criteria: dict | None = None, comment: str | None = None) -> Rating:
    """Record the citizen's rating: once per dossier, after the result (or refusal) was returned."""
    dossier = _find(session, code, secret)
    _check_rating(score, criteria, comment)
    if dossier.status not in RATEABLE_STATUSES:
        raise Conflict("the service can be rated once the result has been returned")
    if session.scalar(select(Rating.id).where(Rating.dossier_id == dossier.id)) is not None:
        raise Conflict("this dossier has already been rated")
    rating = Rating(dossier_id=dossier.id, score=score, criteria=criteria or None,
                    comment=(comment or "").strip() or None, created_at=now)
    session.add(rating)
    audit.record(session, "rated", dossier_id=dossier.id, actor=None, at=now, score=score)
    try:
        session.flush()
    except IntegrityError:  # two submissions at the same moment: the unique dossier_id keeps one
        raise Conflict("this dossier has already been rated") from None
    return rating


def find_dossier(session: Session, code: str, secret: str) -> Dossier:
    """The dossier with this code and secret (the receipt's); NotFound, the same for a wrong code or secret."""
    return _find(session, code, secret)
