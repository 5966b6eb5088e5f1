"""What the procedure library costs where it is deployed whole: the test session's setup (a benchmark).

The suite's session fixture migrates a database, seeds the demo organisation and deploys `workflows/`
(validation included) once per database. This times that setup on SQLite in fresh processes, alternating
the two packages the library started with and the whole library, `--rounds` times each, and the scenarios
of the whole library (`motcua test-procedure workflows/`'s work, without its own setup). Prints the
figures and writes bench/results/library.json.

    .venv/bin/python bench/library.py [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_TWO = ("birth-registration", "household-business")

CHILD = r"""
import datetime as dt, sys, tempfile, time
from pathlib import Path
sys.path[:0] = [sys.argv[1]]
from config import load_settings
from engine import migrate
from engine.clock import FrozenClock
from engine.db import make_engine, make_sessionmaker
from engine.deploy import deploy_path, package_folders
from engine.runtime import Runtime
from engine.scenarios import load_scenario, run_scenario, scenario_files
from engine.seed import seed_demo
lib, scenarios = Path(sys.argv[2]), sys.argv[3] == "1"
url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
t0 = time.perf_counter()
engine = make_engine(url)
migrate.upgrade(engine)
rt = Runtime(settings=load_settings({"database": {"url": url}}), sessions=make_sessionmaker(engine),
             clock=FrozenClock(dt.datetime(2026, 1, 5, tzinfo=dt.UTC)))
with rt.sessions() as s:
    seed_demo(s, password="bench-pass-123", hash_method="pbkdf2:sha256:1000")
    t1 = time.perf_counter()
    deploy_path(rt, s, lib, actor=None, now=rt.clock.now())
    s.commit()
    t2 = time.perf_counter()
    n = 0
    if scenarios:
        for folder in package_folders(lib):
            for f in scenario_files(folder):
                assert run_scenario(rt, s, folder.name, load_scenario(f)).ok, f
                s.rollback()
                n += 1
    t3 = time.perf_counter()
print(t2 - t0, t2 - t1, t3 - t2, n)
"""


def child(lib: Path, scenarios: bool) -> list[float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(lib), "1" if scenarios else "0"],
                         check=True, capture_output=True, text=True).stdout.split()
    return [float(x) for x in out]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    two = Path(tempfile.mkdtemp()) / "workflows"
    for slug in FIRST_TWO:
        shutil.copytree(ROOT / "workflows" / slug, two / slug)
    whole = ROOT / "workflows"
    count = len(list(whole.glob("*/procedure.toml")))
    runs = {"two": [], "library": []}
    scenario_runs = []
    for _ in range(args.rounds):
        runs["two"].append(child(two, False))
        library = child(whole, True)
        runs["library"].append(library)
        scenario_runs.append(library[2:])
    figures = {}
    for name, rows in runs.items():
        figures[name] = {"setup_s": statistics.median(r[0] for r in rows), "deploy_s": statistics.median(r[1] for r in rows)}
    n = int(scenario_runs[0][1])
    figures["scenarios"] = {"count": n, "total_s": statistics.median(r[0] for r in scenario_runs)}
    print(f"session setup, 2 packages: {figures['two']['setup_s']:.2f} s (deploy {figures['two']['deploy_s']:.2f} s)")
    print(f"session setup, {count} packages: {figures['library']['setup_s']:.2f} s "
          f"(deploy {figures['library']['deploy_s']:.2f} s); medians of {args.rounds} alternating rounds")
    print(f"{n} scenarios: {figures['scenarios']['total_s']:.2f} s")
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "library.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
