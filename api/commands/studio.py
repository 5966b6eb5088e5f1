"""`motcua migrate --procedure SLUG --to VERSION [--dry-run]`: move running dossiers to another version.

Prints one line per open dossier (`CODE vN -> vM: ok|refused: reason`), then a summary. Exit status 1 when a
dossier was refused (the others are migrated unless --dry-run), 2 for a bad argument (unknown procedure or
version, a bad --map).
"""
from __future__ import annotations

import click

from api.commands.database import migrated_runtime
from engine.errors import EngineError, InvalidInput, NotFound
from engine.versioning.migration import migrate as migrate_dossiers
from engine.versioning.migration import parse_mapping


@click.command("migrate")
@click.option("--procedure", "slug", required=True, help="The procedure's slug, e.g. birth-registration.")
@click.option("--to", "version", required=True, type=click.IntRange(min=1), help="The version to move to.")
@click.option("--dry-run", is_flag=True, help="Only report what would happen; change nothing.")
@click.option("--map", "maps", multiple=True, metavar="OLD=NEW",
              help="Move a step the new version no longer has (BPMN id OLD) to the step NEW. Repeatable.")
def migrate(slug: str, version: int, dry_run: bool, maps: tuple[str, ...]) -> None:
    """Move the running dossiers of a procedure to one of its versions (a dry-run report first)."""
    rt = migrated_runtime()
    with rt.sessions() as session:
        try:
            report = migrate_dossiers(rt, session, slug, version, dry_run=dry_run, actor=None,
                                      now=rt.clock.now(), mapping=parse_mapping(list(maps)))
            if dry_run:
                session.rollback()
            else:
                session.commit()
        except (NotFound, InvalidInput) as exc:
            session.rollback()
            click.echo(f"error: {exc.detail}", err=True)
            raise SystemExit(2) from None
        except EngineError as exc:
            session.rollback()
            click.echo(f"error: {exc.detail}", err=True)
            raise SystemExit(1) from None
    for line in report.dossiers:
        verdict = "ok" if line.ok else f"refused: {line.reason}"
        steps = ",".join(line.steps) or "-"
        click.echo(f"{line.code} v{line.from_version} -> v{version} at {steps}: {verdict}")
    done = "would be migrated" if dry_run else "migrated"
    click.echo(f"{report.migrated} {done}, {report.refused} refused ({slug} v{version})")
    if report.refused:
        raise SystemExit(1)
