"""Server time of the printed receipt (form 01) as a PDF: p50/p95 over N receipts (a benchmark, not a test).

N dossiers are received at Tân Lập's desk through the engine (with their documents list), on a fresh SQLite
database in a temporary folder; then `GET /api/v1/dossiers/<id>/receipt.pdf` is called for each, through the
app's WSGI interface in this process (Flask's test client, logged in as tanlap.reception with a session
cookie): the time measured is the server's whole work for the request (authentication, the database, the
context, WeasyPrint), without a network. Also the rendering alone (api.printing.render) and the cold start
that api.printing.warm_up() moves to a worker's start. Each is timed twice: wall time, and this process's CPU
time (time.process_time), which other processes on a shared machine disturb much less. Writes
bench/results/printing.json.

    .venv/bin/python bench/printing.py [--receipts 50]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from sqlalchemy import select  # noqa: E402

from api import create_app, printing  # noqa: E402
from api.printing import contexts  # noqa: E402
from config import load_settings  # noqa: E402
from engine import migrate, printouts, reception  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.db import make_engine, make_sessionmaker  # noqa: E402
from engine.deploy import deploy_path  # noqa: E402
from engine.dossier_views import local_zone  # noqa: E402
from engine.models import Agency, User  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from engine.seed import seed_demo  # noqa: E402

PASSWORD = "bench-password"
VN = dt.timezone(dt.timedelta(hours=7))
DOCUMENTS = [{"name": "Giấy đề nghị đăng ký hộ kinh doanh", "copies": 1},
             {"name": "Bản sao giấy tờ pháp lý của cá nhân đối với các thành viên hộ gia đình", "copies": 2},
             {"name": "Văn bản ủy quyền cho thành viên hộ gia đình đăng ký hộ kinh doanh", "copies": 1}]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1), "n": len(ordered)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=50)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="motcua-bench-printing-")
    url = f"sqlite:///{folder}/bench.db"
    clock = FrozenClock(dt.datetime(2026, 3, 2, 8, 0, tzinfo=VN))
    db = make_engine(url)
    migrate.upgrade(db)
    rt = Runtime(settings=load_settings({"database": {"url": url}}), sessions=make_sessionmaker(db), clock=clock)
    with rt.sessions() as s:
        seed_demo(s, password=PASSWORD, hash_method="pbkdf2:sha256:1000")
        deploy_path(rt, s, ROOT / "workflows", actor=None, now=clock.now())
        s.commit()
        agency_id = s.scalars(select(Agency.id).where(Agency.code == "000.01.31.H26")).one()
        desk = s.scalars(select(User).where(User.username == "tanlap.reception")).one()
        ids = []
        for i in range(args.receipts):
            clock.set(clock.now() + dt.timedelta(minutes=7))
            r = reception.receive_with_receipt(rt, s, procedure="household-business", agency_id=agency_id,
                                               channel="counter", actor=desk, now=clock.now(),
                                               applicant={"name": f"Nguyễn Thị Ánh {i}", "phone": "0912345678",
                                                          "address": "Số 5, thôn Tây, xã Tân Lập"},
                                               documents=DOCUMENTS)
            ids.append(r.dossier.id)
        s.commit()

    started = time.perf_counter()
    printing.warm_up()
    cold = time.perf_counter() - started

    app = create_app(runtime=rt)
    client = app.test_client()
    assert client.post("/api/v1/auth/login", json={"username": "tanlap.reception", "password": PASSWORD}).status_code == 200
    http, http_cpu, sizes = [], [], []
    for dossier_id in ids:
        started, cpu = time.perf_counter(), time.process_time()
        answer = client.get(f"/api/v1/dossiers/{dossier_id}/receipt.pdf")
        http.append(time.perf_counter() - started)
        http_cpu.append(time.process_time() - cpu)
        assert answer.status_code == 200 and answer.mimetype == "application/pdf", answer.status_code
        sizes.append(len(answer.data))

    render_only, render_cpu = [], []
    with rt.sessions() as s:
        desk = s.scalars(select(User).where(User.username == "tanlap.reception")).one()
        ctxs = [contexts.receipt_context(printouts.receipt(rt, s, i, actor=desk, now=clock.now(), log=False),
                                         tz=local_zone(rt), base_url=rt.settings.public_base_url) for i in ids]
    for ctx in ctxs:
        started, cpu = time.perf_counter(), time.process_time()
        printing.render("receipt", ctx)
        render_only.append(time.perf_counter() - started)
        render_cpu.append(time.process_time() - cpu)

    result = {"receipts": args.receipts, "warm_up_s": round(cold, 2),
              "GET receipt.pdf (server, in process), wall": percentiles(http),
              "GET receipt.pdf, CPU": percentiles(http_cpu),
              "render only, wall": percentiles(render_only), "render only, CPU": percentiles(render_cpu),
              "load_average_1min": os.getloadavg()[0],
              "pdf_bytes_median": int(statistics.median(sizes)), "goal_ms": 300}
    print(json.dumps(result, ensure_ascii=False, indent=2))
    out = ROOT / "bench" / "results" / "printing.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
