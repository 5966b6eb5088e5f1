"""`motcua db upgrade` and `motcua deploy PATH`: schema migrations and procedure deployment."""
from __future__ import annotations

from pathlib import Path

import click

from api.commands.database import migrated_runtime
from config import load_settings
from engine import migrate
from engine.deploy import deploy_path
from engine.errors import EngineError
from engine.runtime import Runtime


@click.group("db")
def db():
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
def upgrade(revision: str):
    """Apply the schema migrations to the configured database."""
    rt = Runtime.from_settings(load_settings())
    migrate.upgrade(rt.db_engine, revision)
    click.echo(f"database at {revision}: {rt.settings.database_url}")


@click.command("deploy")
@click.argument("path", type=click.Path(path_type=Path))
def deploy(path: Path):
    """Validate and deploy the procedure packages under PATH as new versions (unchanged ones are kept)."""
    if not path.exists():
        click.echo(f"error: PATH: {path} does not exist", err=True)
        raise SystemExit(2)
    rt = migrated_runtime()
    with rt.sessions() as session:
        try:
            deployments = deploy_path(
                rt, session, path, actor=None, now=rt.clock.now())
            session.commit()
        except EngineError as exc:
            session.rollback()
            click.echo(f"error: {exc.detail}", err=True)
            for line in getattr(exc, "errors", {}).get("problems", []):
                click.echo(f"  {line}", err=True)
            raise SystemExit(1) from None
    for d in deployments:
        click.echo(f"{d.slug}: version {d.version} {d.outcome}")
