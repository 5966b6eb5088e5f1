"""CSV files officials open in Excel: a UTF-8 byte order mark, local times, no formula injection."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence


def local(at: dt.datetime | None, tz: dt.tzinfo) -> str:
    """A time as the forms print it (04/12/2026 17:00), in the local zone; empty when there is none."""
    return at.astimezone(tz).strftime("%d/%m/%Y %H:%M") if at else ""


def text(value: str | None) -> str:
    """A typed value kept as text: "=HYPERLINK(...)" must not become a formula in Excel (CSV injection)."""
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def document(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """The CSV text, starting with a byte order mark so that Excel reads the Vietnamese right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
