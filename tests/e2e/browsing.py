"""What the browser tests share: Debian's chromium, its flags, the app's CSP, where screenshots go.

Debian's chromium (/usr/bin/chromium), not a browser downloaded by `playwright install`: the machines reach
no download site. The `browser` fixture that launches it is in this folder's conftest.py.
"""
from __future__ import annotations

from pathlib import Path

from support import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
SCREENSHOTS = ROOT / "var" / "screenshots"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
