"""Decision 766/QĐ-TTg (23/6/2022) indicators for one agency and a period, as far as motcua's data goes.

Decision 766 scores ministries, provinces and communes on 100 points in five groups (publicity 18, progress
and results 20, online service 12 + online payment 10, digitisation 22, satisfaction 18: the groups and
their points from public summaries of the decision, labelled sure). The formula of each indicator comes
from a third party's reproduction of the portal's formula document ("Mô tả công thức tính chỉ số 766"):
labelled unsure, to check against the document before relying on a score.

motcua computes what it records: 2.1 on time, 2.2 average time, 3.3 online share (without the national
portal's sync ratio). For the others it lacks the data (payments, result files, digitisation flags,
complaints, publication dates): the indicator says what is missing and shows no number.

The dossiers counted are those received before the end of the period and not finished before its start
(as form II.06a counts them); `indicator_dossiers` lists them with the verdict each got.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput, NotFound
from engine.models import Agency, Dossier, Pause, User
from engine.supervision import REPORT_ROLES, _period, watched_agencies

SOURCE_DECISION = "Quyết định 766/QĐ-TTg ngày 23/6/2022 của Thủ tướng Chính phủ"
SOURCE_FORMULA = ("Mô tả công thức tính chỉ số 766 (Cổng Dịch vụ công quốc gia), theo bản tái hiện của một "
                  "bên thứ ba — chưa đối chiếu văn bản gốc")
SURE, UNSURE = "sure", "unsure"
#: the verdicts a counted dossier gets, per computed indicator
PARTS = ("counted", "met", "not_met")
MAX_DRILL = 200


@dataclass(frozen=True)
class Indicator:
    code: str
    group: str
    group_points: int
    name_vi: str
    name_en: str
    max_points: int | None
    formula_vi: str
    formula_en: str
    #: sure | unsure, and where the formula comes from
    certainty: str
    source: str
    target: float | None = None
    available: bool = False
    #: what motcua lacks (when not available)
    missing_vi: str = ""
    missing_en: str = ""
    numerator: int | None = None
    denominator: int | None = None
    #: a share (0..1) or, for 2.2, days
    value: float | None = None
    unit: str = "rate"
    points: float | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IndicatorSet:
    agency_id: int
    agency_name: str
    start: dt.date
    end: dt.date
    as_of: dt.datetime
    indicators: list[Indicator]


GROUPS = {"1": ("Công khai, minh bạch", 18), "2": ("Tiến độ, kết quả giải quyết", 20),
          "3": ("Cung cấp dịch vụ trực tuyến; thanh toán trực tuyến", 22), "4": ("Số hóa hồ sơ", 22),
          "5": ("Mức độ hài lòng", 18)}

#: the indicators motcua cannot compute: code -> (name vi, name en, points, formula vi, formula en, missing vi, en)
UNAVAILABLE = {
    "1.1": ("Công bố, công khai TTHC đúng hạn", "Procedures announced on time", 6,
            "Số TTHC công bố đúng hạn ÷ số TTHC công bố trong kỳ",
            "Procedures announced on time ÷ procedures announced in the period",
            "motcua không lưu ngày ban hành quyết định công bố TTHC.",
            "motcua does not record the dates of the decisions announcing procedures."),
    "1.4": ("Đồng bộ hồ sơ lên Cổng DVC quốc gia", "Dossiers synced to the national portal", 6,
            "Hồ sơ đã đồng bộ ÷ max(hồ sơ trên hệ thống báo cáo, hồ sơ trên Cổng)",
            "Synced dossiers ÷ max(dossiers in the reporting system, dossiers on the portal)",
            "motcua không đồng bộ với Cổng Dịch vụ công quốc gia.",
            "motcua does not sync with the national public service portal."),
    "3.6": ("Hồ sơ thanh toán trực tuyến", "Dossiers paid online", 6,
            "Hồ sơ thanh toán trực tuyến ÷ hồ sơ của TTHC có phí, lệ phí",
            "Dossiers paid online ÷ dossiers of procedures with fees",
            "motcua không lưu phí, lệ phí và cách thanh toán.",
            "motcua does not record fees or how they were paid."),
    "4.1": ("Cấp kết quả điện tử", "Electronic result issued", 6,
            "Hồ sơ có tệp kết quả điện tử ÷ hồ sơ của TTHC có kết quả là giấy tờ",
            "Dossiers with a result file ÷ dossiers whose procedure yields a document",
            "motcua không lưu tệp kết quả điện tử.", "motcua does not store result files."),
    "4.2": ("Số hóa hồ sơ", "Dossiers digitised", 4,
            "Hồ sơ được số hóa ÷ hồ sơ tiếp nhận (mục tiêu 80 %)",
            "Digitised dossiers ÷ dossiers received (target 80 %)",
            "motcua không lưu cờ số hóa thành phần hồ sơ.",
            "motcua does not record which dossier parts were digitised."),
    "5.4": ("Mức độ hài lòng trong giải quyết hồ sơ", "Satisfaction with dossier handling", 6,
            "100 % − (tỉ lệ hồ sơ quá hạn + tỉ lệ hồ sơ có phản ánh, kiến nghị hoặc «không hài lòng»); mục tiêu 90 %",
            "100 % − (overdue rate + rate of dossiers with a complaint or a “dislike”); target 90 %",
            "motcua không tiếp nhận phản ánh, kiến nghị (PAKN); thiếu một thành phần của công thức.",
            "motcua does not take complaints and proposals (PAKN): one term of the formula is missing."),
}


def _scope(agency_id: int, start_at: dt.datetime, end_at: dt.datetime):
    finished = func.coalesce(Dossier.processed_at, Dossier.closed_at)
    return finished, [Dossier.agency_id == agency_id, Dossier.received_at < end_at,
                      or_(finished.is_(None), finished >= start_at)]


def _multi_supplement():
    """The dossiers asked to supplement more than once (scored overdue): a join, not a count per dossier."""
    return (select(Pause.dossier_id.label("dossier_id")).group_by(Pause.dossier_id)
            .having(func.count(Pause.id) > 1).subquery("multi_supplement"))


def _verdicts(finished, as_of: dt.datetime, multi):
    """SQL conditions: on time (2.1's numerator) and online (3.3's numerator), for a counted dossier."""
    done = and_(finished.is_not(None), finished < as_of)
    on_time = and_(multi.c.dossier_id.is_(None), or_(
        and_(done, finished <= Dossier.legal_due_at),
        and_(~done, or_(and_(Dossier.paused_at.is_not(None), Dossier.paused_at <= as_of),
                        Dossier.legal_due_at >= as_of))))
    return {"2.1": on_time, "3.3": Dossier.channel == "online"}, done


def _agency(session: Session, actor: User, agency_id: int | None) -> Agency:
    if agency_id is None:
        raise InvalidInput("choose an agency", {"agency_id": ["required"]})
    watched_agencies(session, actor, agency_id, REPORT_ROLES, "reading the 766 indicators")
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"no agency {agency_id}")
    return agency


def indicators(rt, session: Session, *, actor: User, agency_id: int | None, start: dt.date, end: dt.date,
               now: dt.datetime) -> IndicatorSet:
    """The 766 indicators of one agency for the local dates start..end, as known at `now`."""
    start_at, end_at = _period(start, end, ZoneInfo(rt.settings.timezone))
    agency = _agency(session, actor, agency_id)
    as_of = min(end_at, now)
    finished, scope = _scope(agency.id, start_at, end_at)
    multi = _multi_supplement()
    verdicts, done = _verdicts(finished, as_of, multi)
    seconds = func.sum(case((done, _epoch(session, finished) - _epoch(session, Dossier.received_at)), else_=0))
    row = session.execute(select(
        func.count(),
        func.sum(case((verdicts["2.1"], 1), else_=0)),
        func.sum(case((done, 1), else_=0)),
        seconds,
        func.sum(case((Dossier.received_at >= start_at, 1), else_=0)),
        func.sum(case((and_(Dossier.received_at >= start_at, verdicts["3.3"]), 1), else_=0)),
    ).select_from(Dossier).outerjoin(multi, multi.c.dossier_id == Dossier.id).where(*scope)).one()
    counted, on_time, completed, total_seconds, new, online = (int(v or 0) for v in row)

    def rate(a: int, b: int) -> float | None:
        return a / b if b else None

    out: list[Indicator] = []
    r21 = rate(on_time, counted)
    out.append(Indicator(
        "2.1", "2", 20, "Hồ sơ giải quyết trước hạn, đúng hạn", "Dossiers handled early or on time", 20,
        "(Hồ sơ đã xử lý xong trước hoặc đúng ngày hẹn + hồ sơ đang giải quyết còn trong hạn) ÷ hồ sơ tiếp nhận "
        "hoặc giải quyết trong kỳ. Đúng hạn khi ngày kết thúc xử lý ≤ ngày hẹn trả (ngày hẹn theo luật: dời theo "
        "thời gian chờ bổ sung và gia hạn, không theo thư xin lỗi). Hồ sơ đang chờ bổ sung tính là trong hạn; "
        "yêu cầu bổ sung quá 1 lần tính là quá hạn. Điểm = 20 × tỉ lệ.",
        "(Dossiers finished on or before the appointment + dossiers in progress still within it) ÷ dossiers "
        "received or handled in the period. On time when end of processing ≤ appointment (the legal one: moved by "
        "supplement pauses and extensions, never by an apology). Waiting for a supplement counts as within; more "
        "than one supplement request counts as overdue. Points = 20 × rate.",
        UNSURE, SOURCE_FORMULA, None, True, numerator=on_time, denominator=counted, value=r21,
        points=round(20 * r21, 2) if r21 is not None else None))
    out.append(Indicator(
        "2.2", "2", 20, "Thời gian giải quyết trung bình (theo dõi)", "Average processing time (monitoring)", None,
        "Tổng thời gian từ tiếp nhận đến kết thúc xử lý ÷ số hồ sơ đã kết thúc trong kỳ (ngày lịch).",
        "Sum of the time from reception to the end of processing ÷ dossiers finished in the period (calendar days).",
        UNSURE, SOURCE_FORMULA, None, True, numerator=completed, denominator=completed,
        value=round(total_seconds / completed / 86400, 2) if completed else None, unit="days"))
    r33 = rate(online, new)
    out.append(Indicator(
        "3.3", "3", 22, "Tỉ lệ hồ sơ trực tuyến", "Share of dossiers submitted online", 12,
        "Hồ sơ nộp trực tuyến ÷ hồ sơ tiếp nhận mới trong kỳ (mục tiêu 50 %). Công thức gốc còn nhân với tỉ lệ "
        "đồng bộ lên Cổng quốc gia và đòi kết quả điện tử: motcua không có hai dữ liệu này, nên không tính.",
        "Online dossiers ÷ dossiers newly received in the period (target 50 %). The original formula also "
        "multiplies by the sync ratio with the national portal and requires an electronic result: motcua has "
        "neither, so they are left out.",
        UNSURE, SOURCE_FORMULA, 0.5, True, numerator=online, denominator=new, value=r33,
        points=round(12 * min(1.0, r33 / 0.5), 2) if r33 is not None else None,
        notes=["partial"]))
    for code, (name_vi, name_en, points, f_vi, f_en, m_vi, m_en) in UNAVAILABLE.items():
        out.append(Indicator(code, code[0], GROUPS[code[0]][1], name_vi, name_en, points, f_vi, f_en, UNSURE,
                             SOURCE_FORMULA, missing_vi=m_vi, missing_en=m_en))
    out.sort(key=lambda i: tuple(int(p) for p in i.code.split(".")))
    return IndicatorSet(agency.id, agency.name, start, end, as_of, out)


def _epoch(session: Session, column):
    """Seconds since the epoch of a stored instant, in the database's own terms."""
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(column) * 86400.0
    return func.extract("epoch", column)


@dataclass(frozen=True)
class CountedDossier:
    id: int
    code: str
    channel: str
    status: str
    received_at: dt.datetime
    legal_due_at: dt.datetime
    finished_at: dt.datetime | None
    met: bool


def indicator_dossiers(rt, session: Session, *, actor: User, agency_id: int | None, code: str, start: dt.date,
                       end: dt.date, now: dt.datetime, part: str = "counted", after_id: int = 0,
                       limit: int = MAX_DRILL) -> list[CountedDossier]:
    """The dossiers an indicator counted (`counted`), or those that met it (`met`) or not (`not_met`), by id."""
    if code not in ("2.1", "2.2", "3.3"):
        raise NotFound(f"indicator {code} counts no dossier in motcua")
    if part not in PARTS:
        raise InvalidInput("unknown part", {"part": [f"one of {', '.join(PARTS)}"]})
    start_at, end_at = _period(start, end, ZoneInfo(rt.settings.timezone))
    agency = _agency(session, actor, agency_id)
    as_of = min(end_at, now)
    finished, scope = _scope(agency.id, start_at, end_at)
    multi = _multi_supplement()
    verdicts, done = _verdicts(finished, as_of, multi)
    if code == "2.2":
        scope.append(done)
        verdict = done
    elif code == "3.3":
        scope.append(Dossier.received_at >= start_at)
        verdict = verdicts["3.3"]
    else:
        verdict = verdicts["2.1"]
    if part == "met":
        scope.append(verdict)
    elif part == "not_met":
        scope.append(~verdict)
    met = case((verdict, True), else_=False)
    rows = session.execute(
        select(Dossier.id, Dossier.code, Dossier.channel, Dossier.status, Dossier.received_at, Dossier.legal_due_at,
               finished.label("finished"), met.label("met"))
        .outerjoin(multi, multi.c.dossier_id == Dossier.id)
        .where(*scope, Dossier.id > after_id).order_by(Dossier.id).limit(max(1, min(limit, MAX_DRILL))))
    return [CountedDossier(r.id, r.code, r.channel, r.status, r.received_at, r.legal_due_at, r.finished, bool(r.met))
            for r in rows]
