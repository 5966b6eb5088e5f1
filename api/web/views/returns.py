"""Result return (Trả kết quả): at the counter, by post (tracking number) or online; the dossier ends.

A placeholder in the workspace's first layout: built on it next.
"""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _

from api.web import bp


@bp.get("/tra-ket-qua")
def returns():
    return render_template("placeholder.html", title=_("Result return"), section="returns")
