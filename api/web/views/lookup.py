"""The citizen's look-up (Tra cứu hồ sơ), which the receipt's QR code opens: /lookup?code=…&secret=….

No login; phone-sized first. Code and secret come as query parameters (the QR code) or as a posted form.
It calls the same engine functions as GET /api/v1/public/dossiers/<code> and its rating (engine.public:
status and dates, never personal data) and spends from that endpoint's rate limit per client address
(api.public_limit), so the page is no easier a way to guess secrets than the API. /tra-cuu, the address
printed on earlier receipts, redirects here.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from api import context
from api.public_limit import take
from api.web import bp
from engine import public
from engine.errors import Conflict, InvalidInput, NotFound

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

#: form 02's copy types, as the citizen reads them
COPY_WORDS = {
    "original": lambda: _("original"),
    "certified_copy": lambda: _("certified copy"),
    "copy": lambda: _("copy"),
}

_LONGEST = 40


def _asked() -> tuple[str, str]:
    source = request.form if request.method == "POST" else request.args
    return source.get("code", "").strip()[:_LONGEST], source.get("secret", "").strip()[:_LONGEST]


def _page(status: int = 200, **values):
    found = values.get("found")
    values.setdefault("error", None)
    values.setdefault("rated", False)
    values["status_words"] = STATUS_WORDS.get(found.status, lambda: found.status)() if found else None
    values["copy_words"] = lambda code: COPY_WORDS[code]() if code in COPY_WORDS else (code or "")
    return render_template("lookup.html", title=_("Look up a dossier"), **values), status


def _throttled(code: str, secret: str, wait: int):
    response = _page(429, code=code, secret=secret,
                     error=_("Too many look-ups from your address. Wait %(s)s seconds and try again.", s=wait))
    return (*response, {"Retry-After": str(wait)})


@bp.route("/lookup", methods=["GET", "POST"])
def public_lookup():
    code, secret = _asked()
    if not (code or secret):
        return _page(code=code, secret=secret)
    wait = take()
    if wait:
        return _throttled(code, secret, wait)
    if not code or not secret:
        return _page(422, code=code, secret=secret,
                     error=_("Type both the dossier code and the look-up code printed on your receipt."))
    try:
        found = public.lookup(context.session(), code, secret)
    except NotFound:
        return _page(404, code=code, secret=secret,
                     error=_("No dossier has this code and look-up code. Check both on your receipt."))
    return _page(code=code, secret=secret, found=found, rated=request.args.get("rated") == "1")


@bp.post("/lookup/rating")
def public_rating():
    """The citizen's rating from the look-up page: once per dossier, after the result came back."""
    code, secret = _asked()
    wait = take()
    if wait:
        return _throttled(code, secret, wait)
    score = request.form.get("score", "")
    try:
        public.rate(context.session(), code, secret, score=int(score) if score.isdigit() else score,
                    comment=request.form.get("comment") or None, now=context.now())
    except NotFound:
        return _page(404, code=code, secret=secret,
                     error=_("No dossier has this code and look-up code. Check both on your receipt."))
    except (InvalidInput, Conflict) as exc:
        found = public.lookup(context.session(), code, secret)
        error = (_("Choose how satisfied you are, from 1 to 5 stars.") if isinstance(exc, InvalidInput)
                 else _("This dossier has already been rated, or its result has not been returned yet."))
        return _page(422 if isinstance(exc, InvalidInput) else 409, code=code, secret=secret, found=found,
                     error=error)
    context.commit()
    # after a post, a redirect: reloading the page does not post the rating again
    return redirect(url_for("web.public_lookup") + "?" + urlencode({"code": code, "secret": secret, "rated": "1"}))


@bp.get("/tra-cuu")
def public_lookup_old():
    """The address printed on receipts before /lookup: the same page, the same query."""
    query = request.query_string.decode("ascii", "replace")
    return redirect(url_for("web.public_lookup") + (f"?{query}" if query else ""), 301)
