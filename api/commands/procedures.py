"""`motcua validate PATH`: lint the procedure library like a compiler, before anything is deployed.

Each problem on its own line (`file:line: [element] message (severity)`), then a summary line
`N errors, M warnings in K procedures`. Exit status 1 when there is an error, 0 when there are only
warnings or nothing; 2 (one `error:` line on stderr) when PATH does not exist or the settings are broken.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from bpmn.validation import validate_path, validation_targets
from config import Settings, load_settings
from config.settings import SettingsError


def _working_day_seconds(settings: Settings) -> int:
    day = dt.date(2000, 1, 3)
    return sum(int((dt.datetime.combine(day, end) - dt.datetime.combine(day, start)).total_seconds())
               for start, end in settings.working_hours)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
def validate(path: Path) -> None:
    """Check procedures: a workflows/ folder, one procedure folder or one .bpmn file."""
    if not path.exists():
        click.echo(f"error: {path}: no such file or folder", err=True)
        raise SystemExit(2)
    try:
        settings = load_settings()
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    problems = validate_path(path, roles=settings.roles, agency_kinds=settings.agency_kinds,
                             working_day_seconds=_working_day_seconds(settings), max_loop=settings.max_loop)
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    count = len(validation_targets(path))
    click.echo(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} in {_plural(count, 'procedure')}")
    raise SystemExit(1 if errors else 0)
