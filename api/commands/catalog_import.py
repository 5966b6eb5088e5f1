"""`motcua import-catalog FILE [--into FOLDER]`: package skeletons from a national procedure database export."""
from __future__ import annotations

from pathlib import Path

import click


@click.command("import-catalog")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--into", "target", default="imported", show_default=True, type=click.Path(path_type=Path),
              help="The folder that receives one package folder per procedure (never overwritten).")
def import_catalog(file: Path, target: Path):
    """Write a procedure.toml and a minimal diagram per procedure of FILE (JSON, national database fields)."""
    from engine.catalogue.importer import load, read, write
    from engine.errors import InvalidInput

    try:
        written = write(read(load(file)), target)
    except InvalidInput as exc:
        for where, messages in exc.errors.items():
            click.echo(f"{file}: {where}: {', '.join(messages)}", err=True)
        click.echo(f"error: {exc.detail}", err=True)
        raise SystemExit(1) from None
    for folder in written:
        click.echo(str(folder))
    click.echo(f"{len(written)} package skeleton(s) written into {target}; a designer completes each diagram "
               f"(motcua validate {target})", err=True)
