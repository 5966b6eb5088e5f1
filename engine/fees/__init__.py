"""Fees and payments: what a dossier owes by its procedure's fee schedule, and what was paid.

The schedule is data in procedure.toml (`[[fees]]`, bpmn.package.Fee): a fixed amount, an amount per unit of
a dossier data field (pages, copies) within a range of units and capped, times another field, and
exemptions by a data field or by the channel. Payments are recorded at the counter (a receipt number) or
online (the payment platform's reference, unique: a reference used twice is refused). Each function
flushes; the caller commits.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bpmn.package import Fee, ProcedureMeta
from engine import audit
from engine.access import dossier_in_scope, require_role
from engine.errors import Conflict, InvalidInput, NotFound
from engine.models import Dossier, Payment, User

METHODS = ("counter", "online")


@dataclass(frozen=True)
class FeeLine:
    """One line of what is due: the fee, the units counted, the amount and why it is exempt (if it is)."""

    fee: Fee
    units: int
    amount: int
    exempt: str | None = None


def _whole(data: dict, field: str) -> int:
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"the fee schedule needs the whole number '{field}' in the dossier's data",
                           {field: ["a whole number >= 0 is required to compute the fee"]})
    return value


def fee_lines(meta: ProcedureMeta, data: dict, channel: str) -> list[FeeLine]:
    """The fee lines due for a dossier with this data, received by this channel."""
    lines = []
    for fee in meta.fees:
        if channel in fee.exempt_channels:
            lines.append(FeeLine(fee, 0, 0, f"channel:{channel}"))
            continue
        if fee.exempt_when and data.get(fee.exempt_when):
            lines.append(FeeLine(fee, 0, 0, fee.exempt_when))
            continue
        units = 1
        if fee.per:
            n = _whole(data, fee.per)
            low, high = fee.per_from or 1, fee.per_to if fee.per_to is not None else n
            units = max(0, min(n, high) - low + 1)
        amount = fee.amount * units
        if fee.max_amount is not None:
            amount = min(amount, fee.max_amount)
        if fee.times:
            amount *= _whole(data, fee.times)
        lines.append(FeeLine(fee, units, amount))
    return lines


def fees_due(meta: ProcedureMeta, data: dict, channel: str) -> int:
    return sum(line.amount for line in fee_lines(meta, data, channel))


def paid_total(session: Session, dossier_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(Payment.amount), 0))
                              .where(Payment.dossier_id == dossier_id)) or 0)


def record_payment(session: Session, dossier: Dossier, *, method: str, amount, receipt_number,
                   reference=None, paid_at: dt.datetime | None, actor: User | None, now: dt.datetime) -> Payment:
    """Record a payment for the dossier; InvalidInput names the bad field, nothing is written then."""
    errors: dict[str, list[str]] = {}
    if method not in METHODS:
        errors["method"] = [f"must be one of: {', '.join(METHODS)}"]
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        errors["amount"] = ["a whole number of VND >= 0"]
    if not isinstance(receipt_number, str) or not receipt_number.strip():
        errors["receipt_number"] = ["required: the receipt (biên lai) or payment voucher number"]
    if reference is not None and (not isinstance(reference, str) or not reference.strip()):
        errors["payment_reference"] = ["must be a non-empty text"]
    if method == "online" and not reference:
        errors["payment_reference"] = ["required for an online payment: the payment platform's reference"]
    if paid_at is not None and (paid_at.tzinfo is None or paid_at > now):
        errors["paid_at"] = ["a time with its offset, not in the future"]
    reference = reference.strip() if isinstance(reference, str) else None
    if not errors and reference is not None:
        used = session.scalars(select(Payment).where(Payment.reference == reference)).first()
        if used is not None:
            errors["payment_reference"] = [f"already used for another payment (recorded {used.recorded_at:%Y-%m-%d})"]
    if errors:
        raise InvalidInput("the payment cannot be recorded", errors)
    row = Payment(dossier_id=dossier.id, method=method, amount=amount, receipt_number=receipt_number.strip(),
                  reference=reference, paid_at=paid_at or now, recorded_at=now,
                  recorded_by_id=actor.id if actor else None)
    session.add(row)
    audit.record(session, "payment_recorded", dossier_id=dossier.id, actor=actor, at=now, method=method,
                 amount=amount, receipt_number=row.receipt_number, reference=reference)
    session.flush()
    return row


def _dossier(session: Session, dossier_id: int, actor: User) -> Dossier:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"no dossier {dossier_id}")
    dossier_in_scope(session, actor, dossier)
    return dossier


def dossier_payments(session: Session, dossier_id: int, *, actor: User) -> list[Payment]:
    """The payments of a dossier, oldest first (officials who may see the dossier)."""
    dossier = _dossier(session, dossier_id, actor)
    return list(session.scalars(select(Payment).where(Payment.dossier_id == dossier.id).order_by(Payment.id)))


def record_dossier_payment(session: Session, dossier_id: int, *, method, amount, receipt_number, reference,
                           paid_at: dt.datetime | None, actor: User, now: dt.datetime) -> Payment:
    """A payment taken at the desk outside a diagram step (a fee paid when filing), by the agency's reception."""
    dossier = _dossier(session, dossier_id, actor)
    require_role(actor, dossier.agency_id, {"reception"}, "recording a payment")
    if dossier.closed_at is not None:
        raise Conflict(f"dossier {dossier.code} is already {dossier.status}")
    return record_payment(session, dossier, method=method, amount=amount, receipt_number=receipt_number,
                          reference=reference, paid_at=paid_at, actor=actor, now=now)


def payment_from_form(session: Session, dossier: Dossier, data: dict, *, actor: User | None,
                      now: dt.datetime) -> Payment:
    """The payment a step with status awaiting_payment records from its form (wait_payment.json)."""
    paid_at = None
    text = data.get("paid_at")
    if isinstance(text, str):
        try:
            paid_at = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput("the payment cannot be recorded", {"paid_at": ["not a date-time"]}) from None
    return record_payment(session, dossier, method=data.get("method"), amount=data.get("amount"),
                          receipt_number=data.get("receipt_number"), reference=data.get("payment_reference"),
                          paid_at=paid_at, actor=actor, now=now)
