"""`motcua simulate PATH`: every path of a procedure against its legal deadline, in working time.

One block per procedure: the deadline and the extension its law allows, then one line per path (longest
first) with its working-time budget, and with --history the share of dossiers expected on time, sampled
from the step durations recorded in the configured database. Exit status 1 when a path cannot fit even
with the extension, 0 when every path fits, 2 on a missing path or a package that cannot be loaded.
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from api.commands.procedures import settings_for
from bpmn.package import PackageError, load_package
from engine.deploy import package_folders
from engine.studio.lint import working_day_seconds
from engine.studio.simulation import Simulation, configured_extension, simulate, simulate_procedure


def _print(sim: Simulation) -> None:
    extension = f"up to {sim.describe(sim.extension_seconds)} more by law" if sim.extension_seconds else "none"
    click.echo(f"{sim.slug}: legal deadline {sim.deadline.replace('_', ' ')} ({sim.describe(sim.deadline_seconds)} "
               f"of working time); extension: {extension}")
    for path in sim.paths:
        verdict = "fits" if path.fits else "extended" if path.fits_extended else "TOO LONG"
        share = "" if path.on_time_share is None else \
            f"  on time {path.on_time_share:.0%} ({path.sampled_steps} step(s) from history)"
        click.echo(f"  {verdict:<9}{sim.describe(path.seconds):<22}{path.label} ({path.end_status}){share}")
    for note in sim.notes:
        click.echo(f"  note: {note}")
    if sim.truncated:
        click.echo(f"  note: only the first {len(sim.paths)} paths were followed")
    too_long = sum(not p.fits_extended for p in sim.paths)
    click.echo(f"  {len(sim.paths)} path{'s' if len(sim.paths) != 1 else ''}, {too_long} too long")


@click.command("simulate")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--history", is_flag=True, help="Sample each step's duration from the completed steps recorded in "
                                              "the configured database: the share of dossiers on time per path.")
@click.option("--runs", type=click.IntRange(1, 100000), default=1000, show_default=True,
              help="Samples per path with --history.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (one object per procedure).")
def simulate_command(path: Path, history: bool, runs: int, as_json: bool) -> None:
    """Check every path of the procedures under PATH against their legal deadline (working time, timers and
    the legal extension included)."""
    settings = settings_for(path)
    folders = package_folders(path)
    if not folders:
        click.echo(f"error: {path}: no procedure package (a folder with procedure.toml) found", err=True)
        raise SystemExit(2)
    try:
        packages = [load_package(folder) for folder in folders]
    except PackageError as exc:
        click.echo(f"error: the package cannot be loaded (run motcua validate):\n{exc}", err=True)
        raise SystemExit(2) from None
    if history:
        from api.commands.database import migrated_runtime
        rt = migrated_runtime()
        with rt.sessions() as session:
            results = [simulate_procedure(rt, session, pkg, with_history=True, runs=runs) for pkg in packages]
    else:
        wds = working_day_seconds(settings)
        results = [simulate(pkg, working_day_seconds=wds, extension=configured_extension(settings, pkg))
                   for pkg in packages]
    for sim in results:
        if as_json:
            click.echo(json.dumps(sim.to_dict(), ensure_ascii=False))
        else:
            _print(sim)
    raise SystemExit(0 if all(sim.ok for sim in results) else 1)
