"""Server time of the workspace's pages at 100 k open and 1 M completed tasks (a benchmark, not a test).

The database is filled as bench/api.py fills it (its `fill`: open dossiers with one open task each, closed
dossiers with four completed tasks each, applicants named "Người nộp <n>"), then real dossiers are received
through the engine for the task and dossier pages. Each page is asked through the Flask test client in
this process, signed in as tanlap.specialist through the sign-in page: the time measured is the server's
(routing, engine, SQL, template), without a network or a browser.

Measured, p50/p95 over the samples: the inbox (first page; the next page through the keyset cursor; a
search without diacritics; the risk sort), the polled new-work fragment, a task page, a dossier page, and
the API's inbox (first page, risk sort) in the same process for a ratio.
Also the compressed size of the CSS and JavaScript a page loads. Writes bench/results/web.json.

    .venv/bin/python bench/web.py [--open 100000] [--done 1000000] [--samples 200] [--no-postgres] [--reuse DIR]

To iterate faster, `--reuse DIR` keeps the filled SQLite file in DIR and the PostgreSQL database bench_web
between runs, as bench/api.py's option does (the real dossiers received each run add a few rows).
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchlib import api_bench  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from api import create_app  # noqa: E402
from engine.models import Task  # noqa: E402

bench_api = api_bench()
PG_DATABASE = "bench_web"
STATIC = ROOT / "api" / "web" / "static"


def summary(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"samples": len(ms), "p50_ms": round(statistics.median(ms), 2),
            "p95_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 2), "max_ms": round(ms[-1], 2)}


def sign_in(client, username: str):
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/dang-nhap", data={"username": username, "password": bench_api.PASSWORD,
                                               "csrf_token": token})
    assert response.status_code == 302, response.status_code


def timed(client, path: str) -> tuple[float, str]:
    start = time.perf_counter()
    response = client.get(path)
    ms = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return ms, response.get_data(as_text=True)


def asset_weight() -> dict:
    """Compressed bytes of what a page loads (gzip -9, as a server or proxy would send it)."""
    def gz(*names):
        return sum(len(gzip.compress((STATIC / n).read_bytes(), 9)) for n in names)

    common = ("css/app.css", "js/app.js", "vendor/htmx/htmx.min.js")
    dossier = ("vendor/bpmn-js/bpmn-viewer.production.min.js", "vendor/bpmn-js/diagram-js.css",
               "vendor/bpmn-js/bpmn-js.css", "js/diagram.js")
    return {"inbox_or_task_page_bytes": gz(*common), "dossier_page_bytes": gz(*common, *dossier)}


def bench(name: str, url: str, n_open: int, n_done: int, samples: int, reuse: bool = False) -> dict:
    rt = bench_api.runtime(url)
    if reuse and bench_api.filled(rt, n_open, n_done):
        bench_api.sync_task_indexes(rt)
        seconds = None
        print(f"{name}: reusing the kept database ({n_open:,} open and {n_done:,} completed tasks)", flush=True)
    else:
        rt.db_engine.dispose()
        rt = bench_api.setup(url)
        seconds = bench_api.fill(rt, n_open, n_done, rt.clock.now())
        print(f"{name}: filled {n_open:,} open and {n_done:,} completed tasks in {seconds:.0f} s", flush=True)
    real = bench_api.receive_real(rt, samples)
    with rt.sessions() as s:
        dossier_ids = list(s.scalars(select(Task.dossier_id).where(Task.id.in_(real))))
        dossier_count = s.scalar(text("SELECT count(*) FROM dossier"))
    app = create_app(runtime=rt)
    client = app.test_client()
    sign_in(client, "tanlap.specialist")
    _, first = timed(client, "/hop-viec")
    next_path = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    since = re.search(r'/hop-viec/moi\?since=(\d+)', first).group(1)
    pages = {
        "inbox_first_page": lambda i: "/hop-viec",
        "inbox_next_page": lambda i: next_path,
        "inbox_search_no_diacritics": lambda i: f"/hop-viec?q=nguoi+nop+{(i * 37) % 9973}",
        "inbox_search_no_match": lambda i: "/hop-viec?q=khong+co+ai",
        "inbox_risk_sort": lambda i: "/hop-viec?sort=risk",
        "new_work_fragment": lambda i: f"/hop-viec/moi?since={since}",
        "task_page": lambda i: f"/cong-viec/{real[i % len(real)]}",
        "dossier_page": lambda i: f"/ho-so/{dossier_ids[i % len(dossier_ids)]}",
        # the API's inbox beside the page, for a ratio (the same engine query, as JSON)
        "api_inbox_first_page": lambda i: "/api/v1/tasks",
        "api_inbox_risk_sort": lambda i: "/api/v1/tasks?sort=risk",
    }
    result: dict = {"fill_seconds": round(seconds, 1) if seconds is not None else None, "dossiers": dossier_count}
    for key, path in pages.items():
        for i in range(10):  # warm: spec cache, calendar, templates, connection pool
            timed(client, path(i))
        ms = [timed(client, path(i))[0] for i in range(samples)]
        result[key] = summary(ms)
        r = result[key]
        print(f"{name:10} {key:28} p50 {r['p50_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms  max {r['max_ms']:7.2f} ms",
              flush=True)
    rt.db_engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--done", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--reuse", metavar="DIR", type=Path,
                        help="keep the filled databases (SQLite in DIR, PostgreSQL's bench_web) and reuse them")
    args = parser.parse_args()
    reuse = args.reuse is not None
    results: dict = {"open_tasks": args.open, "completed_tasks": args.done, "server": "Flask test client, in process",
                     "goals_p95_ms": {"inbox": 30, "task": 30, "dossier": 50, "search": 30},
                     "assets_gzip": asset_weight()}
    print(f"compressed CSS and JavaScript: {results['assets_gzip']}")
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            folder = args.reuse or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            results["sqlite"] = bench("sqlite", f"sqlite:///{folder}/bench_web.db", args.open, args.done,
                                      args.samples, reuse)
    if not args.no_postgres:
        bench_api.PG_DATABASE = PG_DATABASE  # its own database: bench/api.py may run beside it
        url = bench_api.postgres_database(reuse)
        if url:
            try:
                results["postgresql"] = bench("postgresql", url, args.open, args.done, args.samples, reuse)
            finally:
                if not reuse:
                    bench_api.drop_postgres_database()
    out = ROOT / "bench" / "results" / "web.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
