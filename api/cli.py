"""The `motcua` command: Flask's CLI group, so app-bound commands (`db upgrade`, `serve`) share it."""
from __future__ import annotations

import click
from flask.cli import FlaskGroup

from api import create_app


def _app_factory():
    return create_app()


@click.group(cls=FlaskGroup, create_app=_app_factory, add_default_commands=False, add_version_option=False,
             load_dotenv=False, set_debug_flag=False)
def main():
    """motcua: one-stop administrative procedures on BPMN."""


def _register() -> None:
    from api.commands.calendar import calendar
    from api.commands.catalog_import import import_catalog
    from api.commands.db import db, deploy
    from api.commands.documents import retention, verify_pdf
    from api.commands.portal import portal
    from api.commands.procedures import validate
    from api.commands.scenarios import test_procedure
    from api.commands.serve import demo, serve
    from api.commands.simulate import simulate_command
    from api.commands.studio import migrate
    from api.commands.watch import escalate, scheduler

    for command in (calendar, db, deploy, validate, serve, demo, scheduler, escalate, verify_pdf, retention,
                    test_procedure, simulate_command, migrate, portal, import_catalog):
        main.add_command(command)


_register()
