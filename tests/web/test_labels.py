"""Every event the engine records about a dossier has words on its page (the timeline and the audit list show
`action_label`), the same Vietnamese words as the API's timeline; and budgets of working time read as words,
not ISO 8601, the same on the page as on the printed form 05."""
from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import pytest

from api.web.labels import ADMIN_ACTIONS, AUDIT_ACTIONS, action_label, time_left_words, working_time_words
from engine.audit import ACTION_VI
from engine.time_left import TimeLeft, budget_vi

ENGINE = Path(__file__).resolve().parents[2] / "engine"


@contextmanager
def _page(app, lang: str = "vi"):
    with app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
        app.preprocess_request()  # the request's catalog is looked up anew, as for a page
        yield


def test_every_recorded_action_has_a_label():
    recorded = {m for f in ENGINE.rglob("*.py")
                for m in re.findall(r'audit\.record\(\s*session,\s*"([a-z_.]+)"', f.read_text(encoding="utf-8"))}
    assert len(recorded) > 20
    studio = {a for a in recorded if a.startswith("studio.")}  # about procedures, shown in the studio
    assert sorted(recorded - set(ACTION_VI) - set(ADMIN_ACTIONS) - studio) == []
    # the page's English has a word for every code the engine says in Vietnamese, and no other
    assert set(AUDIT_ACTIONS) == set(ACTION_VI)


def test_the_page_says_the_engines_vietnamese_words_for_events(app):
    with _page(app):
        for code, words in ACTION_VI.items():
            assert action_label(code) == words, code
        assert action_label("some_procedure_event") == "some_procedure_event"
    with _page(app, "en"):
        assert action_label("handed_over") == "Handed over to another agency (inter-agency)"


def test_budgets_read_as_working_time(app):
    with _page(app):
        assert working_time_words("P1D") == "1 ngày làm việc"
        assert working_time_words("PT4H") == "4 giờ làm việc"
        assert working_time_words("P2DT1H30M") == "2 ngày 1 giờ 30 phút làm việc"
        assert working_time_words("not a duration") == "not a duration"
    with _page(app, "en"):
        assert working_time_words("P1DT4H") == "1 day 4 hours of working time"


@pytest.mark.parametrize("iso", ["P1D", "PT4H", "P1DT4H", "P2DT1H30M", "PT45M", "PT0S", "PT16H", "P3D"])
def test_the_page_and_the_printed_form_say_a_budget_alike(app, iso):
    with _page(app):
        assert working_time_words(iso) == budget_vi(iso)


@pytest.mark.parametrize(("left", "words"), [
    (TimeLeft(False, 2, 3, 15), "còn 2 ngày 3 giờ làm việc"),  # minutes only under a day
    (TimeLeft(False, 1, 0, 40), "còn 1 ngày làm việc"),
    (TimeLeft(False, 0, 3, 15), "còn 3 giờ 15 phút làm việc"),
    (TimeLeft(False, 0, 3, 0), "còn 3 giờ làm việc"),
    (TimeLeft(False, 0, 0, 0), "còn 0 phút làm việc"),
    (TimeLeft(True, 0, 4, 0), "quá hạn 4 giờ làm việc"),
])
def test_time_left_in_words(app, left, words):
    with _page(app):
        assert time_left_words(left) == words
