"""The citizen's look-up (Tra cứu hồ sơ), which the receipt's QR code opens: /tra-cuu?code=…&secret=….

No login; phone-sized first. It calls the same engine function as GET /api/v1/public/dossiers/<code>
(engine.public.lookup: status and dates, never personal data) and shares that endpoint's rate limit per
client address, so the page is no easier a way to guess secrets than the API.
"""
from __future__ import annotations

import math

from flask import render_template, request
from flask_babel import gettext as _

from api import context
from api.public import _limiter
from api.web import bp
from engine import public
from engine.errors import NotFound

#: what each status means to a citizen, in plain words
STATUS_WORDS = {
    "received": lambda: _("Your dossier has been received and is waiting to be handled."),
    "processing": lambda: _("Your dossier is being handled."),
    "supplement_requested": lambda: _("Your dossier needs more documents. Processing is paused until you bring "
                                      "or send them."),
    "awaiting_payment": lambda: _("Waiting for you to pay the fees."),
    "processed": lambda: _("The result is ready. You can collect it."),
    "returned": lambda: _("The result has been returned to you."),
    "refused": lambda: _("Your dossier was refused; the written reason has been or will be returned to you."),
    "withdrawn": lambda: _("You withdrew this dossier."),
    "stopped": lambda: _("Processing of this dossier was stopped."),
}


@bp.get("/tra-cuu")
def public_lookup():
    code = request.args.get("code", "").strip()[:40]
    secret = request.args.get("secret", "").strip()[:40]
    found, error, status = None, None, 200
    if code or secret:
        wait = _limiter().take(request.remote_addr or "unknown")
        if wait:
            return render_template("lookup.html", title=_("Look up a dossier"), code=code, secret=secret,
                                   error=_("Too many look-ups from your address. Wait %(s)s seconds and try again.",
                                           s=max(1, math.ceil(wait)))), 429, {"Retry-After": str(max(1, math.ceil(wait)))}
        if not code or not secret:
            error, status = _("Type both the dossier code and the look-up code printed on your receipt."), 422
        else:
            try:
                found = public.lookup(context.session(), code, secret)
            except NotFound:
                error, status = _("No dossier has this code and look-up code. Check both on your receipt."), 404
    words = STATUS_WORDS.get(found.status, lambda: found.status)() if found else None
    return render_template("lookup.html", title=_("Look up a dossier"), code=code, secret=secret, found=found,
                           error=error, status_words=words), status
