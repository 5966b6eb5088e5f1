"""Simulation speed: engine.studio.simulation.simulate on every package of workflows/ (a benchmark, not a test).

Each package is simulated without history, then with a synthetic history of 200 recorded durations for
every user task (so every step is sampled) and 1,000 samples per path, as `motcua simulate --history`
does. Prints, per package, its paths and p50/max time over the runs; the largest package (most paths x
steps) is the one the studio's goal speaks of (< 1 s).

    .venv/bin/python bench/simulate.py [--repeat 10]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bpmn.package import load_package  # noqa: E402
from engine.studio.simulation import simulate  # noqa: E402

WDS = 8 * 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(0)
    sizes = []
    for toml in sorted((ROOT / "workflows").glob("*/procedure.toml")):
        pkg = load_package(toml.parent)
        plain = simulate(pkg, working_day_seconds=WDS)
        steps = {s.element_id for p in plain.paths for s in p.steps if s.kind == "task"}
        history = {step: [rng.randint(600, 3 * WDS) for _ in range(200)] for step in steps}
        times = {"plain": [], "history": []}
        for _ in range(args.repeat):
            for kind, hist in (("plain", None), ("history", history)):
                start = time.perf_counter()
                simulate(pkg, working_day_seconds=WDS, history=hist, runs=1000)
                times[kind].append((time.perf_counter() - start) * 1000)
        weight = sum(len(p.steps) for p in plain.paths)
        sizes.append((weight, pkg.meta.slug, max(times["history"])))
        print(f"{pkg.meta.slug:<28} {len(plain.paths):>3} paths, {weight:>3} path steps: without history p50 "
              f"{statistics.median(times['plain']):.1f} ms; with history (1,000 samples a path) p50 "
              f"{statistics.median(times['history']):.1f} ms, max {max(times['history']):.1f} ms")
    weight, slug, worst = max(sizes)
    print(f"largest package: {slug} ({weight} path steps): at most {worst:.0f} ms with history (goal < 1,000 ms)")


if __name__ == "__main__":
    main()
