"""The URL map: one blueprint per resource, registered here in one place."""
from __future__ import annotations

from flask_smorest import Api


def register_blueprints(api: Api) -> None:
    from api import auth, calendar, dossiers, procedures, public, tasks

    for module in (auth, procedures, dossiers, public, tasks, calendar):
        api.register_blueprint(module.blp)
