"""Tracking book (Sổ theo dõi, form 06) for a period: a page, its PDF and CSV.

A placeholder in the workspace's first layout: built on it next.
"""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _

from api.web import bp


@bp.get("/so-theo-doi")
def tracking_book():
    return render_template("placeholder.html", title=_("Tracking book"), section="tracking")
