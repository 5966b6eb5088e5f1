"""Reception desk (Tiếp nhận): find a procedure, receive a dossier, print the receipt (form 01).

A placeholder in the workspace's first layout: built on it next.
"""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _

from api.web import bp


@bp.get("/tiep-nhan")
def desk():
    return render_template("placeholder.html", title=_("Reception desk"), section="desk")
