"""Files of oversight: form II.06a as XLSX and PDF (its CSV is engine.supervision.report_csv), the annual
evaluation as CSV and XLSX. Headers in Vietnamese, as the printed forms; numbers stay numbers in XLSX.

Text cells that a spreadsheet would read as a formula (=, +, -, @) are written as text: a name typed as
"=HYPERLINK(...)" stays a name (CSV) or a string cell (XLSX).
"""
from __future__ import annotations

import csv
import datetime as dt
import io

from engine import reports
from engine.oversight.evaluation import FIGURES, Evaluation
from engine.supervision import CSV_FIGURES, SHARE_COLUMN_VI, TOTAL_VI, PeriodReport, _cell, share_cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GROUPING_VI = {"agency": "theo cơ quan", "procedure": "theo thủ tục", "official": "theo cán bộ"}
EVALUATION_VI = {"handled": "Hồ sơ đã xử lý", "on_time": "Bước xử lý đúng hạn", "late": "Bước xử lý quá hạn",
                 "sent_back": "Lần trả lại bước trước", "supplements": "Yêu cầu bổ sung",
                 "escalations": "Cảnh báo nhận được"}


def _labels(period: PeriodReport) -> list[str]:
    labels = ["Mã cơ quan", "Cơ quan"]
    if period.by != "agency":
        labels += ["Mã thủ tục", "Thủ tục hành chính"]
    if period.by == "official":
        labels.append("Cán bộ")
    return labels


def _row_labels(period: PeriodReport, row: reports.ReportRow | None) -> list[str]:
    if row is None:
        return ["", TOTAL_VI] + [""] * (len(_labels(period)) - 2)
    cells = [row.agency_code, row.agency_name]
    if period.by != "agency":
        cells += [row.procedure_code, row.procedure_name]
    if period.by == "official":
        cells.append(row.official or "")
    return cells


def _xlsx(title: str, header: list[str], lines: list[list], widths: dict[int, int]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for line in lines:
        sheet.append(line)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text begins with
    for index, width in widths.items():
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_xlsx(period: PeriodReport) -> bytes:
    """Form II.06a as a workbook: one sheet, the period, the labels and the figures of each row, a total; last,
    whether the row is an inter-agency share (as the CSV)."""
    report = period.report
    header = ["Từ ngày", "Đến ngày", *_labels(period), *(CSV_FIGURES[c] for c in reports.COLUMNS), SHARE_COLUMN_VI]
    lines = [[report.start, report.end, *_row_labels(period, row), *(getattr(row.figures, c) for c in reports.COLUMNS),
              share_cell(row)] for row in report.rows]
    lines.append([report.start, report.end, *_row_labels(period, None),
                  *(getattr(report.total, c) for c in reports.COLUMNS), share_cell(None)])
    return _xlsx("II.06a", header, lines, {4: 36, 6: 40})


def report_pdf_context(period: PeriodReport, *, title_agency: str, printed_at: dt.datetime) -> dict:
    report = period.report
    label_header = {"agency": "Cơ quan", "procedure": "Cơ quan — thủ tục", "official": "Cơ quan — thủ tục — cán bộ"}
    rows = []
    for row in report.rows:
        parts = [row.agency_name]
        if period.by != "agency":
            parts.append(row.procedure_name)
        if period.by == "official":
            parts.append(row.official or "")
        rows.append({"label": " — ".join(parts), "total": False,
                     "figures": [getattr(row.figures, c) for c in reports.COLUMNS]})
    rows.append({"label": TOTAL_VI, "total": True, "figures": [getattr(report.total, c) for c in reports.COLUMNS]})
    return {"agency_name": title_agency, "agency_parent": None, "doc_ref": None, "doc_ref_label": "Số",
            "place_date": None, "printed_at": printed_at, "start": report.start, "end": report.end,
            "grouping": GROUPING_VI[period.by], "label_header": label_header[period.by],
            "columns": [CSV_FIGURES[c] for c in reports.COLUMNS], "rows": rows}


def _evaluation_lines(ev: Evaluation) -> tuple[list[str], list[list]]:
    header = ["Năm", "Mã cơ quan", "Cơ quan", "Tên đăng nhập", "Cán bộ", *(EVALUATION_VI[f] for f in FIGURES)]
    lines = [[ev.year, r.agency_code, r.agency_name, r.username, r.full_name, *(getattr(r, f) for f in FIGURES)]
             for r in ev.rows]
    return header, lines


def evaluation_csv(ev: Evaluation) -> str:
    """The annual evaluation as CSV (UTF-8 with a byte order mark for Excel), one line per official and agency."""
    header, lines = _evaluation_lines(ev)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    for line in lines:
        writer.writerow([_cell(v) if isinstance(v, str) else v for v in line])
    return out.getvalue()


def evaluation_xlsx(ev: Evaluation) -> bytes:
    header, lines = _evaluation_lines(ev)
    return _xlsx(f"Đánh giá {ev.year}", header, lines, {3: 36, 5: 28})
