"""/api/v1/oversight: the board, the 766 indicators, the evaluation and form II.06a's files, read back."""
from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from support import VN, scan

from engine.oversight import board

SCAN_AT = dt.datetime(2026, 3, 5, 10, 0, tzinfo=VN)
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def two_dossiers(rt, session, receive, clock):
    first = receive(applicant_name="=HYPERLINK(\"http://x\")")
    receive(channel="online")
    scan(rt, session, SCAN_AT)
    clock.set(SCAN_AT)
    return first


def test_board_and_its_dossiers(client_for, two_dossiers):
    sup = client_for("tanlap.supervisor")
    answer = sup.get("/api/v1/oversight/board?by=procedure").get_json()
    assert answer["total"]["open"] == 2 and answer["rows"][0]["open"] == 2
    key = answer["rows"][0]["key"]
    rows = sup.get(f"/api/v1/oversight/board/dossiers?by=procedure&key={key}&level=open").get_json()
    assert len(rows) == 2
    bad = sup.get("/api/v1/oversight/board?by=colour")
    assert bad.status_code == 422 and "by" in bad.get_data(as_text=True)
    assert sup.get(f"/api/v1/oversight/board/dossiers?by=official&key={board.UNASSIGNED}").status_code == 200


def test_766_names_what_it_lacks(client_for, two_dossiers):
    leader = client_for("tanlap.leader")
    agency = two_dossiers.dossier.agency_id
    answer = leader.get("/api/v1/oversight/indicators", query_string={"agency_id": agency, **MARCH}).get_json()
    by = {i["code"]: i for i in answer["indicators"]}
    assert by["2.1"]["available"] and by["2.1"]["denominator"] == 2
    assert not by["3.6"]["available"] and by["3.6"]["value"] is None and by["3.6"]["missing_en"]
    counted = leader.get("/api/v1/oversight/indicators/2.1/dossiers",
                         query_string={"agency_id": agency, **MARCH}).get_json()
    assert len(counted) == 2
    assert leader.get("/api/v1/oversight/indicators/4.1/dossiers",
                      query_string={"agency_id": agency, **MARCH}).status_code == 404
    missing = leader.get("/api/v1/oversight/indicators", query_string=MARCH)
    assert missing.status_code == 422 and "agency_id" in missing.get_data(as_text=True)


def test_report_files_read_back(client_for, two_dossiers, tmp_path):
    sup = client_for("tanlap.supervisor")
    xlsx = sup.get("/api/v1/oversight/report.xlsx", query_string={**MARCH, "by": "procedure"})
    assert xlsx.status_code == 200 and xlsx.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    header = [c.value for c in sheet[1]]
    assert "Tổng số hồ sơ tiếp nhận" in header and "Trả quá hạn" in header
    total = [c.value for c in sheet[sheet.max_row]]
    assert total[3] == "Tổng cộng" and total[header.index("Tổng số hồ sơ tiếp nhận")] == 2
    assert total[header.index("Mới tiếp nhận trực tuyến")] == 1
    pdf = sup.get("/api/v1/oversight/report.pdf", query_string={**MARCH, "by": "agency"})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        (tmp_path / "r.pdf").write_bytes(pdf.data)
        text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                              text=True, check=True, timeout=60).stdout
        assert "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text
        assert "UBND xã Tân Lập" in text and "01/03/2026" in text and "Tổng cộng" in text
    assert sup.get("/api/v1/oversight/report.pdf", query_string={"from": "2026-03-31", "to": "2026-03-01"}
                   ).status_code == 422
    assert client_for("tanlap.specialist").get("/api/v1/oversight/report.xlsx", query_string=MARCH).status_code == 403


def test_evaluation_refresh_and_files(client_for, two_dossiers, session):
    leader = client_for("tinh.leader")
    before = leader.get("/api/v1/oversight/evaluation?year=2026").get_json()
    assert before["computed_at"] is None and before["rows"] == []
    done = leader.post("/api/v1/oversight/evaluation/refresh", json={"year": 2026})
    assert done.status_code == 200 and done.get_json()["rows"] >= 2
    after = leader.get("/api/v1/oversight/evaluation?year=2026").get_json()
    assert after["computed_at"] is not None
    rows = {r["username"]: r for r in after["rows"]}
    assert rows["tanlap.supervisor"]["escalations"] == 2   # rung 2 of both dossiers
    text = leader.get("/api/v1/oversight/evaluation?year=2026&format=csv").get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert lines[0][:5] == ["Năm", "Mã cơ quan", "Cơ quan", "Tên đăng nhập", "Cán bộ"]
    assert any(line[3] == "tanlap.supervisor" and line[-1] == "2" for line in lines[1:])
    book = load_workbook(io.BytesIO(leader.get("/api/v1/oversight/evaluation?year=2026&format=xlsx").data)).active
    assert book.max_row == len(lines) and book.cell(2, 1).value == 2026
    assert leader.get("/api/v1/oversight/evaluation?year=20266").status_code == 422


def test_digest(client_for, two_dossiers):
    assert client_for("tanlap.leader").get("/api/v1/oversight/digest").status_code == 200
    assert client_for("tanlap.specialist").get("/api/v1/oversight/digest").status_code == 403
