"""The runtime a database command works on: refused in one line when the schema is not migrated."""
from __future__ import annotations

from pathlib import Path

import click

from config import load_settings
from config.settings import SettingsError


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL (None for another database or an in-memory one)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1] if "///" in url else ""
    return Path(path) if path and path != ":memory:" else None


def migrated_runtime():
    """The runtime on the configured database, or one `error:` line naming `motcua db upgrade`, exit 2.

    A command on a database without the schema would otherwise die in a traceback ("no such table").
    """
    from sqlalchemy.exc import SQLAlchemyError

    from engine import migrate
    from engine.runtime import Runtime

    try:
        settings = load_settings()
    except SettingsError as exc:
        _fail(str(exc))
    url = settings.database_url
    file = sqlite_file(url)
    if file is not None and not file.is_file():  # do not leave an empty file behind by connecting
        _fail(f"database {url} does not exist; run `motcua db upgrade` (or `motcua demo` for the demo)")
    rt = Runtime.from_settings(settings)
    try:
        why = migrate.pending(rt.db_engine)
    except SQLAlchemyError as exc:
        _fail(f"database {rt.db_engine.url.render_as_string(hide_password=True)}: "
              f"{str(exc.orig if getattr(exc, 'orig', None) else exc).splitlines()[0]}")
    if why:
        _fail(f"database {rt.db_engine.url.render_as_string(hide_password=True)} {why}; run `motcua db upgrade`")
    return rt


def _fail(message: str):
    click.echo(f"error: {message}", err=True)
    raise SystemExit(2)
