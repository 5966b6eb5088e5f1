"""The dossier's documents: attach scans to the slots of the procedure's document list, reuse the same
applicant's earlier files, read files back (streamed, audited), and the electronic result for officials and,
with the receipt's code and secret, for the citizen.

Uploads may be larger than limits.max_request_bytes: the upload endpoints take up to documents.max_file_bytes
(plus the multipart envelope); a larger body is refused with 413 before it is read.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Flask, Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import context
from api.auth import protect, require_actor
from api.errors import PROBLEM_JSON, ProblemSchema, problems
from api.schemas.documents import (
    DocumentSchema,
    DossierFilesSchema,
    PublicResultArgs,
    ReuseSchema,
    UploadFileSchema,
    UploadSchema,
)
from engine.documents import components, results
from engine.documents.config import document_settings

blp = protect(Blueprint("documents", __name__, url_prefix="/api/v1",
                        description="The dossier's documents: scanned components, reuse, electronic results"))
public_blp = Blueprint("public_documents", __name__, url_prefix="/api/v1/public",
                       description="The citizen's electronic result, with the receipt's code and secret")

#: room for the multipart envelope and the other fields around the file
ENVELOPE = 64 * 1024
#: endpoints (API and pages) that take a file: their body limit is documents.max_file_bytes
UPLOAD_ENDPOINTS = {"documents.DossierDocuments", "web.desk_attach"}
BINARY = {"type": "string", "format": "binary"}


def init_app(app: Flask) -> None:
    """Lift the body limit for the upload endpoints (registered before api.inbound reads any form)."""
    @app.before_request
    def _upload_limit():
        if request.endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
            request.max_content_length = document_settings(context.runtime().settings).max_file_bytes + ENVELOPE


def file_response(doc, chunks, *, inline: bool = False) -> Response:
    """The file streamed as read from the store, never whole in memory."""
    disposition = "inline" if inline else "attachment"
    ascii_name = doc.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return Response(chunks, mimetype=doc.media_type, direct_passthrough=True, headers={
        "Content-Length": str(doc.size), "ETag": f'"{doc.sha256}"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(doc.filename)}"})


@blp.route("/dossiers/<int:dossier_id>/documents")
class DossierDocuments(MethodView):
    @blp.response(200, DossierFilesSchema)
    @problems(blp, 401, 404)
    def get(self, dossier_id):
        """List the dossier's slots (the procedure's document list) with their files, and its results."""
        listing = components.list_files(context.runtime(), context.session(), dossier_id, actor=require_actor(),
                                        now=context.now())
        context.commit()  # the audited view
        return listing

    @blp.arguments(UploadSchema, location="form")
    @blp.arguments(UploadFileSchema, location="files")
    @blp.response(201, DocumentSchema)
    @problems(blp, 401, 403, 404, 409, 413, 415, 422)
    def post(self, form, files, dossier_id):
        """Attach a scan (PDF, JPEG or PNG, by its content) to a slot; answers the document with its sha256."""
        upload = files["file"]
        doc = components.attach(context.runtime(), context.session(), dossier_id, component=form["component"],
                                stream=upload.stream, filename=upload.filename or "", actor=require_actor(),
                                now=context.now())
        context.commit()
        return doc


@blp.route("/dossiers/<int:dossier_id>/documents/reuse")
class Reuse(MethodView):
    @blp.response(200, DocumentSchema(many=True))
    @problems(blp, 401, 404)
    def get(self, dossier_id):
        """Offer the same applicant's (identity number) earlier files, from dossiers of your agencies."""
        return components.reuse_candidates(context.runtime(), context.session(), dossier_id, actor=require_actor())

    @blp.arguments(ReuseSchema)
    @blp.response(201, DocumentSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def post(self, payload, dossier_id):
        """Attach an earlier file of the same applicant to a slot; recorded as reused."""
        doc = components.reuse(context.runtime(), context.session(), dossier_id, actor=require_actor(),
                               now=context.now(), **payload)
        context.commit()
        return doc


@blp.route("/documents/<int:document_id>/content")
class DocumentContent(MethodView):
    @blp.response(200, BINARY, content_type="application/octet-stream",
                  description="the file's bytes with its own type (application/pdf, image/jpeg, image/png)")
    @problems(blp, 401, 404)
    def get(self, document_id):
        """Download a file of a dossier (officials who may see the dossier; audited)."""
        doc, chunks = components.open_document(context.runtime(), context.session(), document_id,
                                               actor=require_actor(), now=context.now())
        context.commit()
        return file_response(doc, chunks)


@blp.route("/dossiers/<int:dossier_id>/result")
class DossierResult(MethodView):
    @blp.response(200, BINARY, content_type="application/pdf", description="the signed electronic result")
    @problems(blp, 401, 404)
    def get(self, dossier_id):
        """Download the dossier's electronic result, signed PAdES (404 until it is issued)."""
        doc, chunks = results.official_result(context.runtime(), context.session(), dossier_id,
                                              actor=require_actor(), now=context.now())
        context.commit()
        return file_response(doc, chunks, inline=True)


@public_blp.route("/dossiers/<code>/result")
class PublicResult(MethodView):
    @public_blp.arguments(PublicResultArgs, location="query")
    @public_blp.response(200, BINARY, content_type="application/pdf", description="the signed electronic result")
    @public_blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM_JSON,
                             description="unknown code, wrong secret, or no electronic result yet")
    @public_blp.alt_response(422, schema=ProblemSchema, content_type=PROBLEM_JSON, description="no secret given")
    @public_blp.alt_response(429, schema=ProblemSchema, content_type=PROBLEM_JSON,
                             description="too many requests from this address; see Retry-After")
    def get(self, args, code):
        """Download the electronic result with the code and secret printed on the receipt (no login)."""
        from api.public import _rate_limit

        limited = _rate_limit()  # the look-up's limit per client address, shared with it
        if limited is not None:
            return limited
        doc, chunks = results.public_result(context.runtime(), context.session(), code, args["secret"],
                                            now=context.now())
        context.commit()
        return file_response(doc, chunks, inline=True)
