"""Dossier codes (Circular 01/2018/TT-VPCP art. 19) and receipt secrets."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.models import Agency, DaySequence

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the counter


def _upsert(insert):
    return insert(DaySequence).values(agency_id=bindparam("agency_id"), day=bindparam("day"), last=1) \
        .on_conflict_do_update(index_elements=[DaySequence.agency_id, DaySequence.day],
                               set_={"last": DaySequence.last + 1}) \
        .returning(DaySequence.last)


# Built once per dialect: constructing the statement costs more than running it.
_NEXT = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}


def next_sequence(session: Session, agency_id: int, day: dt.date) -> int:
    """Take the next number of the agency's day atomically (one upsert, safe under concurrent receptions)."""
    connection = session.connection()  # a plain Core upsert: the ORM's bulk-insert path costs three times more
    return connection.execute(_NEXT[connection.dialect.name], {"agency_id": agency_id, "day": day}).scalar_one()


def dossier_code(session: Session, agency: Agency, local_day: dt.date) -> str:
    """`<agency code>-<YYMMDD>-<4-digit sequence of the day>`, e.g. 000.00.31.H26-251128-0007."""
    seq = next_sequence(session, agency.id, local_day)
    return f"{agency.code}-{local_day:%y%m%d}-{seq:04d}"


def lookup_secret() -> str:
    """Eight unambiguous characters printed on the receipt for the public look-up."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(8))
