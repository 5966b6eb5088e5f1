"""The URL map: one blueprint per resource, registered here in one place."""
from __future__ import annotations

from flask_smorest import Api


def register_blueprints(api: Api) -> None:
    from api import (
        admin,
        auth,
        boundary,
        calendar,
        documents,
        dossiers,
        escalations,
        interagency,
        procedures,
        public,
        studio,
        supervision,
        tasks,
    )
    from api import oversight as oversight_api
    from api.query import refuse_unknown_query

    for module in (auth, procedures, dossiers, public, tasks, calendar, escalations, supervision, admin,
                   oversight_api, documents, studio, boundary, interagency):
        if refuse_unknown_query not in module.blp.before_request_funcs.get(None, ()):  # once per process
            module.blp.before_request(refuse_unknown_query)  # after the blueprint's own login check
        api.register_blueprint(module.blp)
    if refuse_unknown_query not in documents.public_blp.before_request_funcs.get(None, ()):
        documents.public_blp.before_request(refuse_unknown_query)
    api.register_blueprint(documents.public_blp)
