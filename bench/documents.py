"""The dossier's documents: store speed, a streamed download's memory, signing time, storage per dossier
(a benchmark, not a test).

On a fresh SQLite database and a store in a temporary folder (local disk, the default backend):
1. a 20 MB PDF written to the store (temporary file, SHA-256 while writing, fsync, rename), MB/s over R runs
   of distinct files; and the whole attach (type and page check of the PDF, the row) the same way;
2. GET /api/v1/documents/<id>/content of that file through the app's WSGI interface in this process, read
   chunk by chunk: the peak of Python allocations during the download (tracemalloc) beside the file's size,
   and the process's peak resident memory (ru_maxrss) before and after;
3. a 2-page result made from its template (WeasyPrint) and signed PAdES with a PKCS#12 made here (a test CA):
   signing alone p50/p95 over N signatures, warm; rendering alone too;
4. storage per dossier: D dossiers, each with two scans of 2 pages (about 250 KB a page, as a 200 dpi
   grey scan) and its signed result: bytes in the store per dossier.
Writes bench/results/documents.json.

    .venv/bin/python bench/documents.py [--runs 5] [--signatures 30] [--dossiers 20]
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from documents_support import PASSPHRASE, make_pdf, make_pki  # noqa: E402
from sqlalchemy import select  # noqa: E402

from api import create_app  # noqa: E402
from config import load_settings  # noqa: E402
from engine import dossiers, migrate  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.db import make_engine, make_sessionmaker  # noqa: E402
from engine.deploy import deploy_path  # noqa: E402
from engine.documents import components, results, signatures  # noqa: E402
from engine.models import Agency, User  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from engine.seed import seed_demo  # noqa: E402

PASSWORD = "bench-password"
VN = dt.timezone(dt.timedelta(hours=7))
MB = 1024 * 1024
SIZE = 20 * MB
APPLICANT = {"name": "Trần Thị Bình", "id_number": "031190001234", "phone": "0912345678",
             "address": "Số 12, thôn Đông, xã Tân Lập"}


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1), "n": len(ordered)}


def big_pdf(i: int) -> bytes:
    """A 20 MB PDF, distinct per i (the store keeps equal bytes once)."""
    base = make_pdf(2, text=f"scan {i}")
    return make_pdf(2, padding=SIZE - len(base) - 40, text=f"scan {i}")


def setup(folder: str, pki) -> tuple[Runtime, int]:
    url = f"sqlite:///{folder}/bench.db"
    clock = FrozenClock(dt.datetime(2026, 3, 2, 8, 0, tzinfo=VN))
    db = make_engine(url)
    migrate.upgrade(db)
    settings = load_settings({"database": {"url": url}, "documents": {
        "path": f"{folder}/documents", "max_file_bytes": 32 * MB, "signing_pkcs12": str(pki.signer_p12),
        "signing_passphrase": PASSPHRASE, "trust_roots": [str(pki.ca_pem)]}})
    rt = Runtime(settings=settings, sessions=make_sessionmaker(db), clock=clock)
    with rt.sessions() as s:
        seed_demo(s, password=PASSWORD, hash_method="pbkdf2:sha256:1000")
        deploy_path(rt, s, ROOT / "workflows", actor=None, now=clock.now())
        s.commit()
        agency_id = s.scalars(select(Agency.id).where(Agency.code == "000.01.31.H26")).one()
    return rt, agency_id


def user(s, name):
    return s.scalars(select(User).where(User.username == name)).one()


def receive(rt, s, agency_id):
    d = dossiers.receive_dossier(rt, s, procedure="household-business", agency_id=agency_id, channel="counter",
                                 applicant=APPLICANT, actor=user(s, "tanlap.reception"), now=rt.clock.now()).dossier
    s.commit()
    return d


def store_speed(rt, agency_id, runs: int) -> dict:
    _, staging, store = components.backend(rt)
    files = [big_pdf(i) for i in range(2 * runs)]
    store_times, attach_times = [], []
    for data in files[:runs]:
        t = time.perf_counter()
        staged = staging.write(io.BytesIO(data), 32 * MB)
        store.adopt(staged)
        store_times.append(time.perf_counter() - t)
    with rt.sessions() as s:
        dossier = receive(rt, s, agency_id)
        doc_id = None
        for data in files[runs:]:
            t = time.perf_counter()
            doc = components.attach(rt, s, dossier.id, component=0, stream=io.BytesIO(data), filename="scan.pdf",
                                    actor=user(s, "tanlap.reception"), now=rt.clock.now())
            s.commit()
            attach_times.append(time.perf_counter() - t)
            doc_id = doc.id
    rate = [SIZE / MB / t for t in store_times]
    attach_rate = [SIZE / MB / t for t in attach_times]
    return {"file_mb": SIZE / MB, "runs": runs,
            "store_mb_per_s": {"p50": round(statistics.median(rate), 1), "min": round(min(rate), 1)},
            "attach_mb_per_s": {"p50": round(statistics.median(attach_rate), 1), "min": round(min(attach_rate), 1)},
            "document_id": doc_id, "dossier_id": dossier.id}


def download_memory(rt, document_id: int) -> dict:
    app = create_app(runtime=rt)
    client = app.test_client()
    answer = client.post("/api/v1/auth/login", json={"username": "tanlap.reception", "password": PASSWORD})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    t = time.perf_counter()
    response = client.get(f"/api/v1/documents/{document_id}/content", buffered=False)
    received = 0
    for chunk in response.response:
        received += len(chunk)
    response.close()
    elapsed = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert received >= SIZE, received
    return {"file_mb": round(received / MB, 1), "peak_python_alloc_mb": round(peak / MB, 2),
            "ru_maxrss_mb_before": round(rss_before / 1024, 1), "ru_maxrss_mb_after": round(rss_after / 1024, 1),
            "seconds": round(elapsed, 3)}


def signing(rt, agency_id, n: int) -> dict:
    ds = components.backend(rt)[0]
    with rt.sessions() as s:
        dossier = receive(rt, s, agency_id)
        ctx = results.result_context(rt, s, dossier, user(s, "tanlap.leader"), rt.clock.now())
        _, pdata = components.procedure_data(rt, s, dossier)
    renders, signs = [], []
    pdf = results.render(pdata.result_template, ctx)  # warm: fonts and templates loaded once per process
    signatures.sign_pdf(pdf, ds.signing_pkcs12, ds.signing_passphrase)
    for _ in range(n):
        t = time.perf_counter()
        pdf = results.render(pdata.result_template, ctx)
        renders.append(time.perf_counter() - t)
        t = time.perf_counter()
        signed = signatures.sign_pdf(pdf, ds.signing_pkcs12, ds.signing_passphrase, reason="bench")
        signs.append(time.perf_counter() - t)
    pages = results._pages(pdf)
    t = time.perf_counter()
    verdict = signatures.verify_pdf(signed, ds.trust_roots).verdict
    verify = time.perf_counter() - t
    return {"pages": pages, "sign": percentiles(signs), "render": percentiles(renders),
            "verify_ms": round(verify * 1000, 1), "verdict": verdict}


def storage_per_dossier(rt, agency_id, count: int) -> dict:
    from samples import HH_APPROVE, SIGN_APPROVE

    _, _, store = components.backend(rt)
    before = sum(p.stat().st_size for p in store.root.rglob("*") if p.is_file())
    with rt.sessions() as s:
        for i in range(count):
            d = receive(rt, s, agency_id)
            for slot in (0, 3):
                data = make_pdf(2, padding=500 * 1024, text=f"{i}-{slot}")
                components.attach(rt, s, d.id, component=slot, stream=io.BytesIO(data), filename="scan.pdf",
                                  actor=user(s, "tanlap.reception"), now=rt.clock.now())
            s.commit()
            from engine.models import Task

            for who, data in (("tanlap.specialist", HH_APPROVE), ("tanlap.leader", SIGN_APPROVE)):
                task = s.scalars(select(Task).where(Task.dossier_id == d.id, Task.state == "ready")).one()
                dossiers.complete_task(rt, s, task.id, data, actor=user(s, who), now=rt.clock.now())
                s.commit()
    after = sum(p.stat().st_size for p in store.root.rglob("*") if p.is_file())
    return {"dossiers": count, "scans_per_dossier": 2, "scan_pages": 2,
            "bytes_per_dossier": round((after - before) / count), "kb_per_dossier": round((after - before) / count / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--signatures", type=int, default=30)
    parser.add_argument("--dossiers", type=int, default=20)
    args = parser.parse_args()
    import logging

    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    folder = tempfile.mkdtemp(prefix="motcua-bench-documents-")
    pki = make_pki(Path(folder) / "pki")
    rt, agency_id = setup(folder, pki)
    out = {"machine": {"cpus": os.cpu_count()}}
    out["store"] = store_speed(rt, agency_id, args.runs)
    print(f"store a 20 MB PDF (local disk): p50 {out['store']['store_mb_per_s']['p50']} MB/s, "
          f"min {out['store']['store_mb_per_s']['min']} MB/s over {args.runs} files; whole attach (checks, row) "
          f"p50 {out['store']['attach_mb_per_s']['p50']} MB/s")
    out["download"] = download_memory(rt, out["store"]["document_id"])
    d = out["download"]
    print(f"streamed download of {d['file_mb']} MB: peak Python allocations {d['peak_python_alloc_mb']} MB during "
          f"it; process peak RSS {d['ru_maxrss_mb_before']} -> {d['ru_maxrss_mb_after']} MB; {d['seconds']} s")
    out["signing"] = signing(rt, agency_id, args.signatures)
    g = out["signing"]
    print(f"sign a {g['pages']}-page result (PAdES, warm): p50 {g['sign']['p50_ms']} ms, p95 {g['sign']['p95_ms']} ms; "
          f"render p50 {g['render']['p50_ms']} ms; verify {g['verify_ms']} ms ({g['verdict']})")
    out["storage"] = storage_per_dossier(rt, agency_id, args.dossiers)
    print(f"storage per dossier: {out['storage']['kb_per_dossier']} KB (2 scans of 2 pages at ~250 KB a page, "
          f"and the signed result) over {args.dossiers} dossiers")
    (ROOT / "bench" / "results" / "documents.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
