"""A stand-in for the national portal's adapter: a real HTTP server speaking the envelope OpenCPS v2 uses.

POST /auth {"username", "password"} -> {"error_code": 0, "session"}; POST /integration with
{"session", "madonvi", "service", ...}. Services: DongBoHoSoMC and CapNhatTienDoHoSoMC (kept per MaHoSo),
TraCuuHoSo, LayDanhSachHoSoMoi / XacNhanNhanHoSo (dossiers filed online, until acknowledged),
LayDanhGiaHoSo (ratings). It fails on purpose: `fail(n, status)` answers the next n calls with that HTTP
status, `stall(n)` holds the next n answers until the client gives up, `reject(n)` answers error_code -1,
`duplicates = True` sends every waiting dossier twice in one list.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Standin:
    def __init__(self, stall_seconds: float = 1.0):
        self.lock = threading.Lock()
        self.inbox: dict[str, dict] = {}       # MaHoSo -> dossier waiting to be pulled (until acknowledged)
        self.acks: list[dict] = []
        self.records: dict[str, dict] = {}     # MaHoSo -> last DongBoHoSoMC record
        self.progress: list[dict] = []         # every CapNhatTienDoHoSoMC item, in arrival order
        self.ratings: list[dict] = []
        self.calls: list[str] = []
        self.failures: list[tuple[str, int]] = []
        self.duplicates = False
        self.stall_seconds = stall_seconds
        self._release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def fail(self, n: int = 1, status: int = 500):
        self.failures += [("http", status)] * n

    def stall(self, n: int = 1):
        self.failures += [("stall", 0)] * n

    def reject(self, n: int = 1):
        self.failures += [("error_code", -1)] * n

    def statuses(self, code: str) -> list[str]:
        return [p["TrangThai"] for p in self.progress if p["MaHoSo"] == code]

    def _answer(self, path: str, body: dict) -> tuple[int, dict]:
        if path == "/auth":
            return 200, {"error_code": 0, "session": "standin-session"}
        if body.get("session") != "standin-session":
            return 200, {"error_code": 401, "message": "session expired"}
        service = body.get("service")
        with self.lock:
            self.calls.append(service)
            if service == "DongBoHoSoMC":
                for item in body.get("data", []):
                    self.records[item["MaHoSo"]] = item
                return 200, {"error_code": 0}
            if service == "CapNhatTienDoHoSoMC":
                self.progress.extend(body.get("data", []))
                return 200, {"error_code": 0}
            if service == "TraCuuHoSo":
                code = body.get("mahoso")
                last = [p for p in self.progress if p["MaHoSo"] == code]
                if code not in self.records and not last:
                    return 200, {"error_code": 0, "result": []}
                status = last[-1]["TrangThai"] if last else self.records[code]["TrangThaiHoSo"]
                return 200, {"error_code": 0, "result": [{"MaHoSo": code, "TrangThaiHoSo": status}]}
            if service == "LayDanhSachHoSoMoi":
                items = list(self.inbox.values())[: int(body.get("soluong", 100))]
                if self.duplicates:
                    items = [x for item in items for x in (item, item)]
                return 200, {"error_code": 0, "result": items}
            if service == "XacNhanNhanHoSo":
                for ack in body.get("data", []):
                    self.acks.append(ack)
                    self.inbox.pop(ack.get("MaHoSo"), None)
                return 200, {"error_code": 0}
            if service == "LayDanhGiaHoSo":
                return 200, {"error_code": 0, "result": list(self.ratings)}
        return 200, {"error_code": -1, "message": f"unknown service {service}"}

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                with standin.lock:
                    failure = standin.failures.pop(0) if standin.failures and self.path != "/auth" else None
                if failure and failure[0] == "stall":
                    standin._release.wait(standin.stall_seconds)
                    return self._send(200, {"error_code": 0})  # too late: the client gave up
                if failure and failure[0] == "http":
                    return self._send(failure[1], {"message": "failing on purpose"})
                if failure:
                    return self._send(200, {"error_code": failure[1], "message": "refused on purpose"})
                status, answer = standin._answer(self.path, json.loads(raw or b"{}"))
                self._send(status, answer)

            def _send(self, status: int, answer: dict):
                data = json.dumps(answer, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


def dossier_message(code: str, procedure: str = "1.001612", unit: str = "000.01.31.H26",
                    filed: str = "20260302083000", **extra) -> dict:
    """A dossier filed online as the portal would send it (field names: see README, national portal)."""
    return {"MaHoSo": code, "MaTTHC": procedure, "MaDonVi": unit, "ChuHoSo": "Trần Thị Bình",
            "LoaiDoiTuong": "1", "SoDienThoai": "0912345678", "Email": "binh@example.vn", "KenhThucHien": "2",
            "NgayNopHoSo": filed, "TrichYeuHoSo": "Đăng ký hộ kinh doanh",
            "TaiLieuNop": [{"TenTepDinhKem": "Giấy đề nghị đăng ký hộ kinh doanh.pdf",
                            "DuongDanTaiTepTin": "https://dichvucong.gov.vn/f/1"}], **extra}


def ensure_account(rt, agency_code: str = "000.01.31.H26") -> None:
    """The `portal` account with the reception role at the agency (created once per database)."""
    from sqlalchemy import select

    from engine.models import Agency, Membership, User

    with rt.sessions() as session:
        user = session.scalars(select(User).where(User.username == "portal")).first()
        if user is None:
            user = User(username="portal", full_name="Cổng DVC quốc gia")
            session.add(user)
            session.flush()
        agency = session.scalars(select(Agency).where(Agency.code == agency_code)).one()
        if session.scalars(select(Membership).where(Membership.user_id == user.id,
                                                    Membership.agency_id == agency.id)).first() is None:
            session.add(Membership(user_id=user.id, agency_id=agency.id, role="reception"))
        session.commit()
