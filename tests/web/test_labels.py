"""Every event the engine records about a dossier has words on its page (the timeline and the audit list show
`action_label`), and budgets of working time read as words, not ISO 8601."""
from __future__ import annotations

import re
from pathlib import Path

from api.web.labels import ADMIN_ACTIONS, AUDIT_ACTIONS, working_time_words

ENGINE = Path(__file__).resolve().parents[2] / "engine"


def test_every_recorded_action_has_a_label():
    recorded = {m for f in ENGINE.rglob("*.py")
                for m in re.findall(r'audit\.record\(\s*session,\s*"([a-z_.]+)"', f.read_text(encoding="utf-8"))}
    assert len(recorded) > 20
    studio = {a for a in recorded if a.startswith("studio.")}  # about procedures, shown in the studio
    assert sorted(recorded - set(AUDIT_ACTIONS) - set(ADMIN_ACTIONS) - studio) == []


def test_budgets_read_as_working_time(app):
    with app.test_request_context("/"):
        assert working_time_words("P1D") == "1 ngày làm việc"
        assert working_time_words("PT4H") == "4 giờ làm việc"
        assert working_time_words("P2DT1H30M") == "2 ngày 1 giờ 30 phút làm việc"
        assert working_time_words("not a duration") == "not a duration"
