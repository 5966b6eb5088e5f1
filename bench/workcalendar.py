"""Working-calendar speed: `add`, `due_same_day` and `between` computations per second (a script, not a test).

Random starts across 2026-2027, durations PT1H..P30D (half whole working days, half working hours). Each
figure is the median of several rounds over the same inputs, after the calendar has loaded its years.
Prints one line a figure and writes them to bench/results/workcalendar.json.
"""
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bpmn.durations import Duration  # noqa: E402
from engine.workcalendar import WorkCalendar  # noqa: E402

N = 50_000
ROUNDS = 5
TARGET = 20_000  # add computations per second, from the issue
VN = dt.timezone(dt.timedelta(hours=7))


def inputs(rnd: random.Random) -> tuple[list[dt.datetime], list[Duration], list[dt.datetime]]:
    base = dt.datetime(2026, 1, 1, tzinfo=VN)
    span = int((dt.datetime(2028, 1, 1, tzinfo=VN) - base).total_seconds())
    starts = [base + dt.timedelta(seconds=rnd.randrange(span)) for _ in range(N)]
    durations = [Duration(days=rnd.randint(1, 30)) if rnd.random() < 0.5
                 else Duration(seconds=3600 * rnd.randint(1, 30 * 8)) for _ in range(N)]
    ends = [s + dt.timedelta(seconds=rnd.randrange(45 * 86400)) for s in starts]
    return starts, durations, ends


def rate(work, count: int) -> float:
    """Return the median computations per second of `work` over ROUNDS rounds."""
    times = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return count / statistics.median(times)


def main() -> None:
    cal = WorkCalendar()
    starts, durations, ends = inputs(random.Random(20260213))
    pauses = [[(s + dt.timedelta(hours=20), s + dt.timedelta(hours=50)), (e, e + dt.timedelta(hours=3))]
              for s, e in zip(starts, ends, strict=True)]
    for year in (2026, 2027, 2028, 2029):  # load the years first: the figures are for warm calendars
        cal.is_working_day(dt.date(year, 6, 1))
    figures = {
        "add_per_second": rate(lambda: [cal.add(s, d) for s, d in zip(starts, durations, strict=True)], N),
        "add_with_2_pauses_per_second": rate(
            lambda: [cal.add(s, d, p) for s, d, p in zip(starts, durations, pauses, strict=True)], N),
        "due_same_day_per_second": rate(lambda: [cal.due_same_day(s) for s in starts], N),
        "between_per_second": rate(lambda: [cal.between(s, e) for s, e in zip(starts, ends, strict=True)], N),
    }
    for name, value in figures.items():
        note = f"  (target {TARGET:,})" if name == "add_per_second" else ""
        print(f"{name.removesuffix('_per_second')}: {value:,.0f} per second{note}")
    report = {
        **{k: round(v) for k, v in figures.items()},
        "target_add_per_second": TARGET,
        "computations_per_round": N,
        "rounds": ROUNDS,
        "inputs": "random starts 2026-2027 (+07:00); durations P1D..P30D or PT1H..PT240H; between spans up to 45 days",
        "python": platform.python_version(),
        "holidays": version("holidays"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    out = HERE / "results" / "workcalendar.json"
    out.parent.mkdir(exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    tmp.replace(out)  # never leave a half-written file behind


if __name__ == "__main__":
    main()
