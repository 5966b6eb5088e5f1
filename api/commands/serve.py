"""`motcua serve` (the HTTP server) and `motcua demo` (a fresh demo system on SQLite, served)."""
from __future__ import annotations

import os
from pathlib import Path

import click
from werkzeug.serving import run_simple

from config import load_settings


def _run(app, host: str, port: int) -> None:
    """Serve, with the deadline jobs in this process unless `motcua scheduler` runs them elsewhere."""
    # The development server is enough for the one-machine default; production runs gunicorn
    # (`gunicorn -c config/gunicorn.conf.py -w 4 -b 0.0.0.0:8000 'api:create_app()'`) with `motcua scheduler`
    # beside it.
    from engine.scheduler import start_in_process

    rt = app.extensions["motcua"]
    scheduler = start_in_process(rt) if rt.settings.scheduler_in_process else None
    try:
        # werkzeug directly: Flask's app.run() refuses to serve from inside a `flask`-style CLI command
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


#: the demo's SQLite file, which is also the default `database.url` (config/default.toml): after `make run`,
#: `motcua escalate` or `motcua deploy` act on the database the demo serves
DEMO_DATABASE = Path("var/demo.db")


def _demo_signing() -> str | None:
    """With no signing certificate configured, the demo signs its electronic results with a demo-only CA and
    certificate under var/demo-pki/ (made when absent), trusted as a root by this demo only."""
    from engine.documents.config import document_settings
    from engine.documents.demo_pki import ensure_demo_pki

    if document_settings(load_settings()).signing_pkcs12:
        return None
    pki, made = ensure_demo_pki()
    for key, value in pki.settings().items():
        os.environ[f"MOTCUA_DOCUMENTS_{key.upper()}"] = (
            "[" + ", ".join(f"'{v}'" for v in value) + "]" if isinstance(value, list) else value)
    return (f"Electronic results signed with a DEMO-ONLY certificate ({'made' if made else 'kept'}: {pki.signer_p12});"
            " not trusted for real use")


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default from config: 127.0.0.1).")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="Port (default from config: 8000).")
def serve(host: str | None, port: int | None):
    """Serve the web app and the API."""
    from api import create_app
    from api.commands.database import migrated_runtime

    rt = migrated_runtime()
    _run(create_app(runtime=rt), host or rt.settings.server_host, port or rt.settings.server_port)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workflows", "workflows", default="workflows", show_default=True,
              type=click.Path(path_type=Path, exists=True, file_okay=False), help="The procedure library.")
@click.option("--no-serve", is_flag=True, help="Set up the demo database and stop.")
def demo(host: str, port: int, workflows: Path, no_serve: bool):
    """Start over with a demo system: fresh SQLite under var/, procedures deployed, officials seeded."""
    from api import create_app
    from engine import migrate
    from engine.deploy import deploy_path
    from engine.runtime import Runtime
    from engine.seed import seed_demo, seed_demo_dossiers

    db_file = DEMO_DATABASE.resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    os.environ["MOTCUA_DATABASE_URL"] = f"sqlite:///{db_file}"
    # The demo is plain http on this machine: a Secure cookie would never come back.
    os.environ.setdefault("MOTCUA_SERVER_SECURE_COOKIES", "false")
    pki_note = _demo_signing()
    settings = load_settings()
    rt = Runtime.from_settings(settings)
    migrate.upgrade(rt.db_engine)
    with rt.sessions() as session:
        deployed = deploy_path(rt, session, workflows, actor=None, now=rt.clock.now())
        logins = seed_demo(session)
        received = seed_demo_dossiers(rt, session, now=rt.clock.now())
        session.commit()
    click.echo(f"Database: {db_file}")
    if pki_note:
        click.echo(pki_note)
    for d in deployed:
        click.echo(f"Procedure deployed: {d.slug} (version {d.version})")
    for code, secret in received:
        click.echo(f"Demo dossier: {code}  (public look-up secret {secret})")
    click.echo("Demo logins (printed once; username  password):")
    for username, password in logins.items():
        click.echo(f"  {username:22} {password}")
    base = f"http://{host}:{port}"
    click.echo(f"Workspace (officials' pages): {base}/")
    click.echo(f"API:      {base}/api/v1/")
    click.echo(f"API docs: {base}/api/v1/docs  (OpenAPI: {base}/api/v1/openapi.json)")
    if not no_serve:
        _run(create_app(runtime=rt), host, port)
