"""`motcua test-procedure PATH`: run the scenarios of a procedure package (or of every package below PATH).

Each package's `scenarios/*.toml` (engine.scenarios) is run against a scratch SQLite database holding the
demo organisation and the packages under PATH, with a frozen clock: one line per scenario (`ok` or `FAIL`
with every mismatch), then a summary. Exit status 1 when a scenario fails, 2 when PATH holds no package or a
package or scenario cannot be read.
"""
from __future__ import annotations

import datetime as dt
import secrets
import tempfile
from pathlib import Path

import click

from config import load_settings
from config.settings import SettingsError
from engine import migrate
from engine.clock import FrozenClock
from engine.db import make_engine, make_sessionmaker
from engine.deploy import deploy_path, package_folders
from engine.errors import EngineError
from engine.runtime import Runtime
from engine.scenarios import ScenarioError, load_scenario, run_scenario, scenario_files
from engine.seed import seed_demo


@click.command("test-procedure")
@click.argument("path", type=click.Path(path_type=Path))
def test_procedure(path: Path) -> None:
    """Run the scenarios (scenarios/*.toml) of a procedure folder, or of every procedure below a workflows/ folder."""
    folders = package_folders(path) if path.exists() else []
    if not folders:
        click.echo(f"error: {path}: no procedure package (a folder with procedure.toml)", err=True)
        raise SystemExit(2)
    try:
        plan = [(folder, [load_scenario(f) for f in scenario_files(folder)]) for folder in folders]
    except ScenarioError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    with tempfile.TemporaryDirectory(prefix="motcua-scenarios-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'scenarios.db'}"
        try:
            settings = load_settings({"database": {"url": url}})
        except SettingsError as exc:
            click.echo(f"error: {exc}", err=True)
            raise SystemExit(2) from None
        engine = make_engine(url)
        migrate.upgrade(engine)
        clock = FrozenClock(dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
        rt = Runtime(settings=settings, sessions=make_sessionmaker(engine), clock=clock)
        with rt.sessions() as session:
            seed_demo(session, password=secrets.token_urlsafe(16), hash_method="pbkdf2:sha256:1000")
            try:
                deploy_path(rt, session, path, actor=None, now=clock.now())
            except EngineError as exc:
                click.echo(f"error: {exc} {getattr(exc, 'errors', '') or ''}".rstrip(), err=True)
                raise SystemExit(2) from None
            session.commit()
            failed = total = 0
            for folder, scenarios in plan:
                if not scenarios:
                    click.echo(f"{folder.name}: no scenarios (add {folder.name}/scenarios/*.toml)")
                for scenario in scenarios:
                    total += 1
                    outcome = run_scenario(rt, session, folder.name, scenario)
                    session.rollback()
                    if outcome.ok:
                        click.echo(f"ok    {scenario.file}: {scenario.name}")
                    else:
                        failed += 1
                        click.echo(f"FAIL  {scenario.file}: {scenario.name}")
                        for line in outcome.failures:
                            click.echo(f"      {line}")
        engine.dispose()
    click.echo(f"{total - failed} passed, {failed} failed in {total} scenarios of {len(folders)} procedures")
    raise SystemExit(1 if failed else 0)
