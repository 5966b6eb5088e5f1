"""National codes: dossier statuses (TrangThaiHoSo), channels (KenhThucHien) and the date format."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

#: motcua status -> the national portal's dossier status code (1 "Mới đăng ký" is the portal's own, before
#: a dossier is taken in). Codes as used by a production system matching the portal's list (S2).
STATUS_CODES = {
    "received": "2", "refused": "3", "processing": "4", "supplement_requested": "5", "awaiting_payment": "6",
    "withdrawn": "7", "stopped": "8", "processed": "9", "returned": "10",
}
#: KenhThucHien: 1 at the counter, 2 online, 3 public postal service (S2)
CHANNEL_CODES = {"counter": "1", "online": "2", "postal": "3"}
#: the statuses after which the portal is sent the whole record again (result dates, result documents)
RESULT_STATUSES = ("processed", "returned", "refused", "withdrawn", "stopped")
#: dates travel as yyyyMMddHHmmss in Hồ Chí Minh time (OpenCPS v2, convertDate2String)
DATE_FORMAT = "%Y%m%d%H%M%S"
PORTAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def format_date(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone(PORTAL_TZ).strftime(DATE_FORMAT)


def parse_date(text: str) -> dt.datetime:
    """Read a portal date; raise ValueError naming the expected shape."""
    if not isinstance(text, str) or len(text) != 14 or not text.isdigit():
        raise ValueError(f"{text!r} is not a date like 20260302090000 (yyyyMMddHHmmss)")
    return dt.datetime.strptime(text, DATE_FORMAT).replace(tzinfo=PORTAL_TZ)
