"""`motcua verify-pdf FILE` (the signatures of a PDF, against documents.trust_roots) and
`motcua retention` (the dossiers' files past their retention period: listed, removed with --remove)."""
from __future__ import annotations

import logging
from pathlib import Path

import click


@click.command("verify-pdf")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_pdf(file: Path):
    """Check the signatures of a PDF: valid, invalid, not_trusted, modified or unsigned.

    Exit status: 0 valid, 1 invalid, 2 not trusted, 3 changed after signing, 4 unsigned.
    """
    from config import load_settings
    from engine.documents.config import document_settings
    from engine.documents.signatures import EXIT_STATUS
    from engine.documents.signatures import verify_pdf as verify

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # the verdict says it; no tracebacks
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    roots = document_settings(load_settings()).trust_roots
    with file.open("rb") as fh:
        verdict = verify(fh, roots)
    click.echo(f"{file}: {verdict.verdict}")
    for signer in verdict.signers:
        click.echo(f"  signer: {signer}")
    if verdict.detail:
        click.echo(f"  {verdict.detail}")
    if not roots:
        click.echo("  (no trust roots in documents.trust_roots: no signature can be trusted)", err=True)
    raise SystemExit(EXIT_STATUS[verdict.verdict])


@click.command("retention")
@click.option("--remove", is_flag=True, help="Remove the files listed (their rows, hashes and audit stay).")
def retention(remove: bool):
    """List the dossiers' files past their procedure's retention period, and stored files no row names (after a
    crash) older than documents.orphan_grace_hours; --remove removes their bytes."""
    from api.commands.database import migrated_runtime
    from engine.documents import retention as engine_retention
    from engine.models import Dossier

    rt = migrated_runtime()
    now = rt.clock.now()
    with rt.sessions() as session:
        docs = engine_retention.purge(rt, session, now) if remove else engine_retention.due(session, now)
        codes = {d.dossier_id: session.get(Dossier, d.dossier_id).code for d in docs}
        for d in docs:
            click.echo(f"{codes[d.dossier_id]}\t{d.id}\t{d.kind}\t{d.sha256}\t{d.size}\tkept until "
                       f"{d.keep_until:%Y-%m-%d}" + ("\tremoved" if remove else ""))
        session.commit()
        lost = engine_retention.orphans(rt, session, now, remove=remove)
        for sha in lost:
            click.echo(f"-\t-\torphan\t{sha}" + ("\tremoved" if remove else ""))
        session.commit()
    click.echo(f"{len(docs)} file(s) past retention" + (", removed" if remove else "; --remove removes them"))
    click.echo(f"{len(lost)} stored file(s) no row names, older than documents.orphan_grace_hours"
               + (", removed" if remove else "; --remove removes them"))
