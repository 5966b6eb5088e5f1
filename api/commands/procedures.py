"""`motcua validate PATH`: lint the procedure library like a compiler, before anything is deployed.

Each problem on its own line (`file:line: [element] message (severity)`), then a summary line
`N errors, M warnings in K procedures`. Exit status 1 when there is an error, 0 when there are only
warnings or nothing; 2 (one `error:` line on stderr) when PATH does not exist or the settings are broken.
"""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from bpmn.validation import validate_path, validation_targets
from config import load_settings
from config.settings import SettingsError
from engine.runtime import Runtime
from engine.studio.lint import working_day_seconds
from engine.studio.organisation import organisation_today


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def settings_for(path: Path):
    """The settings for a command on PATH; one `error:` line and exit 2 when PATH or the settings are wrong."""
    if not path.exists():
        click.echo(f"error: {path}: no such file or folder", err=True)
        raise SystemExit(2)
    try:
        return load_settings()
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--organisation", "with_organisation", is_flag=True,
              help="Also check lanes and agency kinds against the agencies and officials recorded in the "
                   "configured database (as deploy does).")
def validate(path: Path, with_organisation: bool) -> None:
    """Check procedures: a workflows/ folder, one procedure folder or one .bpmn file.

    A folder holding a diagram but no procedure.toml is an error (it is not a package)."""
    settings = settings_for(path)
    organisation = None
    if with_organisation:
        try:
            rt = Runtime.from_settings(settings)
            with rt.sessions() as session:
                organisation = organisation_today(rt, session)
        except SQLAlchemyError as exc:
            click.echo(f"error: --organisation: cannot read the database: {exc.__class__.__name__}: "
                       f"{str(exc).splitlines()[0]}", err=True)
            raise SystemExit(2) from None
        if organisation is None:
            click.echo("note: the database records no agency yet; lanes are checked against the settings only",
                       err=True)
    problems = validate_path(path, roles=settings.roles, agency_kinds=settings.agency_kinds,
                             working_day_seconds=working_day_seconds(settings), max_loop=settings.max_loop,
                             organisation=organisation)
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    count = len(validation_targets(path))
    click.echo(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} in {_plural(count, 'procedure')}")
    raise SystemExit(1 if errors else 0)
