"""The dossier's documents on the workspace's pages: the desk attaches scans to the slots of the procedure's
document list right after receiving (or reuses the applicant's earlier files), and the citizen downloads the
signed electronic result from the public look-up with the receipt's code and secret.

The files themselves are served by the API (GET /api/v1/documents/<id>/content, which takes the login
session too); every rule and permission is the engine's (engine.documents).
"""
from __future__ import annotations

from flask import abort, current_app, redirect, request, url_for
from flask_babel import gettext as _

from api import context, public_limit
from api.documents import file_response
from api.web import bp
from api.web.pages import actor
from engine.documents import components, results
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound


@bp.app_template_global()
def documents_panel(dossier_id: int) -> dict | None:
    """The slots with their files, the result and the reuse offers, as the desk's page shows them; None for
    a caller who may not see the dossier's files (an admin without a role in its agency)."""
    rt, session, who = context.runtime(), context.session(), actor()
    try:
        components.visible_dossier(session, dossier_id, who)
    except NotFound:
        return None
    return {"slots": components.slots(rt, session, dossier_id, actor=who),
            "result": results.latest_result(session, dossier_id),
            "offers": components.reuse_candidates(rt, session, dossier_id, actor=who)}


@bp.app_template_global()
def electronic_result_ready(found) -> bool:
    """For the look-up page: the dossier found (with its secret) has a signed electronic result."""
    return found is not None and results.has_result(context.session(), found.code)


def _back(dossier_id: int, **args):
    return redirect(url_for("web.desk_received", dossier_id=dossier_id, **args) + "#documents")


@bp.post("/tiep-nhan/ho-so/<int:dossier_id>/tai-lieu")
def desk_attach(dossier_id: int):
    """Attach the scan chosen for one slot (form field `file`, slot `component`)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _back(dossier_id, doc_error=_("Choose the scanned file to attach."))
    try:
        components.attach(context.runtime(), context.session(), dossier_id, component=request.form.get("component"),
                          stream=upload.stream, filename=upload.filename, actor=actor(), now=context.now())
        context.commit()
    except (InvalidInput, Conflict, Forbidden) as exc:
        context.session().rollback()
        return _back(dossier_id, doc_error=_message(exc))
    return _back(dossier_id, attached=1)


@bp.post("/tiep-nhan/ho-so/<int:dossier_id>/tai-lieu/tai-su-dung")
def desk_reuse(dossier_id: int):
    """Attach an earlier file of the same applicant to a slot, recorded as reused."""
    raw = request.form.get("document_id", "")
    try:
        components.reuse(context.runtime(), context.session(), dossier_id, document_id=int(raw) if raw.isdigit() else 0,
                         component=request.form.get("component"), actor=actor(), now=context.now())
        context.commit()
    except (InvalidInput, Conflict, Forbidden) as exc:
        context.session().rollback()
        return _back(dossier_id, doc_error=_message(exc))
    return _back(dossier_id, attached=1)


def _message(exc) -> str:
    if isinstance(exc, components.FileTooLarge):
        return _("The file is too large.")
    if isinstance(exc, components.UnsupportedType):
        return _("Only PDF, JPEG or PNG files can be attached (the file's content is checked, not its name).")
    if isinstance(exc, Forbidden):
        return _("Only the reception desk of the dossier's agency attaches documents.")
    if isinstance(exc, Conflict):
        return _("The dossier is closed: no document can be attached.")
    if "component" in getattr(exc, "errors", {}):
        return _("Choose the document of the list the file belongs to.")
    return _("The file cannot be read: scan it again as PDF, JPEG or PNG.")


@bp.get("/lookup/result")
def public_result():
    """The signed electronic result for the holder of the receipt (code and secret), under the look-up's rate
    limit; anything else (too many tries, a wrong code or secret, no result yet) goes back to the look-up
    page, which says what is wrong. With `document` and `token` (the portal's link): that one file, or 404."""
    if "token" in request.args:
        return _result_by_link()
    code = request.args.get("code", "").strip()[:40]
    secret = request.args.get("secret", "").strip()[:40]
    back = redirect(url_for("web.public_lookup", code=code, secret=secret))
    if public_limit.take():
        return back
    try:
        doc, chunks = results.public_result(context.runtime(), context.session(), code, secret, now=context.now())
    except NotFound:
        return back
    context.commit()  # the audited download
    return file_response(doc, chunks, inline=False)


def _result_by_link():
    """The portal's link to one result file: no look-up page to go back to (its token opens none)."""
    raw, token = request.args.get("document", ""), request.args.get("token", "")[:64]
    if public_limit.take():
        abort(429)
    try:
        doc, chunks = results.result_by_token(context.runtime(), context.session(),
                                              int(raw) if raw.isdigit() and len(raw) < 10 else 0, token,
                                              key=current_app.config["SECRET_KEY"], now=context.now())
    except NotFound:
        abort(404)
    context.commit()  # the audited download
    return file_response(doc, chunks, inline=False)


@bp.get("/tra-cuu/ket-qua")
def public_result_old():
    """The result's address before the look-up moved to /lookup: the same download, the same query."""
    query = request.query_string.decode("ascii", "replace")
    return redirect(url_for("web.public_result") + (f"?{query}" if query else ""), 301)
