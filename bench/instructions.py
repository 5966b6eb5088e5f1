"""Instructions per dossier, engine against bare SpiffWorkflow, counted by callgrind (a benchmark, not a test).

Times on this shared machine move by half between runs; instruction counts do not. Each side runs twice
under `valgrind --tool=callgrind`, with a few and with many dossiers after the same start-up, and the
difference divided by the extra dossiers is the count per dossier: start-up, imports and seeding cancel
out. The engine side is bench/engine.py's walk on SQLite (receive + 4 completions, each its own session
and commit, each authenticated by a token). User-space instructions only: the kernel's share of a commit
and the cost of cache misses are not in the count, so this ratio is lower than the timed one.

    .venv/bin/python bench/instructions.py [--few 10] [--many 40]     (about 5 minutes)
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchlib import engine_bench

ROOT = Path(__file__).resolve().parent.parent


def _child(side: str, n: int) -> None:
    """Run n instances (after one warm-up) of one side, inside callgrind."""
    bench = engine_bench()

    def repeat(fn, _seconds):
        for _ in range(n):
            fn()
        return 1.0

    bench._rate = repeat
    if side == "bare":
        bench.bare_rate(0)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            bench.engine_rate(f"sqlite:///{tmp}/bench.db", 0)


def _count(side: str, n: int) -> int:
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                          __file__, "--child", side, str(n)], capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--few", type=int, default=10)
    parser.add_argument("--many", type=int, default=40)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    per = {}
    for side in ("bare", "engine"):
        per[side] = (_count(side, args.many) - _count(side, args.few)) / (args.many - args.few)
        print(f"{side:6}: {per[side] / 1e6:6.2f} M instructions per {'instance' if side == 'bare' else 'dossier'}")
    print(f"engine / bare: {per['engine'] / per['bare']:.2f} (user-space instructions)")


if __name__ == "__main__":
    main()
