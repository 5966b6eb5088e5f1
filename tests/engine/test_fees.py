"""Fee schedules over dossier data, payments at the counter or online (a reference used once), the diagram's
awaiting_payment step, and a scenario that can fail."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from support import WORKFLOWS, receive

from bpmn.package import load_package
from engine import fees, reports, supervision
from engine.errors import InvalidInput
from engine.models import Dossier
from engine.scenarios import Scenario, ScenarioError, load_scenario, run_scenario


def meta(slug):
    return load_package(WORKFLOWS / slug).meta


def test_certified_copy_fee_depends_on_pages_and_copies():
    m = meta("certified-copy")
    assert fees.fees_due(m, {"pages": 1, "copies": 1}, "counter") == 2000
    assert fees.fees_due(m, {"pages": 2, "copies": 3}, "counter") == 12000
    assert fees.fees_due(m, {"pages": 5, "copies": 2}, "counter") == 2 * (4000 + 3000)
    assert fees.fees_due(m, {"pages": 500, "copies": 1}, "counter") == 200000  # capped a copy
    with pytest.raises(InvalidInput) as exc:
        fees.fees_due(m, {"copies": 1}, "counter")
    assert "pages" in exc.value.errors


def test_exemptions_by_channel_and_by_data():
    assert fees.fees_due(meta("business-registration"), {}, "counter") == 50000
    assert fees.fees_due(meta("business-registration"), {}, "online") == 0
    land = meta("land-first-certificate")
    assert fees.fees_due(land, {}, "counter") == 100000
    lines = fees.fee_lines(land, {"fee_exempt": True}, "counter")
    assert [(ln.amount, ln.exempt) for ln in lines] == [(0, "fee_exempt")]


def test_payment_reference_used_twice_is_refused(rt, session, users):
    first = receive(rt, session, users).dossier
    second = receive(rt, session, users).dossier
    now = rt.clock.now()
    fees.record_payment(session, first, method="online", amount=100000, receipt_number="BL-1", reference="VNPAY-1",
                        paid_at=None, actor=users["tanlap.reception"], now=now)
    session.commit()
    with pytest.raises(InvalidInput) as exc:
        fees.record_payment(session, second, method="online", amount=100000, receipt_number="BL-2",
                            reference="VNPAY-1", paid_at=None, actor=users["tanlap.reception"], now=now)
    assert "payment_reference" in exc.value.errors
    session.rollback()
    with pytest.raises(InvalidInput) as exc:
        fees.record_payment(session, second, method="online", amount=100000, receipt_number="BL-2",
                            reference=None, paid_at=None, actor=None, now=now)
    assert "payment_reference" in exc.value.errors  # online needs the platform's reference
    fees.record_payment(session, second, method="counter", amount=50000, receipt_number="BL-3", reference=None,
                        paid_at=None, actor=None, now=now)
    session.commit()
    assert (fees.paid_total(session, first.id), fees.paid_total(session, second.id)) == (100000, 50000)


def test_the_land_diagram_waits_for_payment_with_the_clock_paused(rt, session):
    scenario = load_scenario(WORKFLOWS / "land-first-certificate" / "scenarios" / "01-happy.toml")
    # examine and review done: the payment step is open, the dossier awaits payment, the legal clock stands
    partial = Scenario("partial", "partial", scenario.reception, scenario.steps[:2], {"status": "awaiting_payment"})
    outcome = run_scenario(rt, session, "land-first-certificate", partial)
    assert outcome.ok, outcome.failures
    d = session.scalars(select(Dossier).where(Dossier.code == outcome.dossier_code)).one()
    assert d.paused_at is not None


def test_a_wrong_expectation_fails_and_names_it(rt, session, tmp_path):
    text = (WORKFLOWS / "certified-copy" / "scenarios" / "01-happy.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("fees_due = 14000", "fees_due = 15000"), encoding="utf-8")
    outcome = run_scenario(rt, session, "certified-copy", load_scenario(bad))
    assert outcome.failures == ["fees_due: expected 15000, got 14000"]


def test_a_bad_scenario_file_names_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[reception]\nat = 2026-03-02T09:00:00\n[expect]\nstatus = "returned"\n')
    with pytest.raises(ScenarioError, match=r"\[reception\] at: a date-time with its offset"):
        load_scenario(bad)
    bad.write_text('name = "x"\n[reception]\nat = 2026-03-02T09:00:00+07:00\n[[steps]]\ntask = "examine"\n'
                   'spent = "2 hours"\n[expect]\nstatus = "returned"\n')
    with pytest.raises(ScenarioError, match=r"#1 spent"):
        load_scenario(bad)




def test_payments_are_in_form_ii06a(rt, session):
    scenario = load_scenario(WORKFLOWS / "land-first-certificate" / "scenarios" / "01-happy.toml")
    assert run_scenario(rt, session, "land-first-certificate", scenario).ok
    report = reports.handling_report(session, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31),
                                     now=rt.clock.now())
    [row] = report.rows
    assert (row.figures.payments, row.figures.payments_online, row.figures.paid_amount) == (1, 1, 100000)
    assert report.total.paid_amount == 100000 and row.figures.resolved_early == 1
    april = reports.handling_report(session, start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 30),
                                    now=rt.clock.now())
    assert april.total.payments == 0  # paid in March
    header, first = supervision.report_csv(supervision.PeriodReport("procedure", report)).splitlines()[:2]
    assert header.endswith("Số lượt nộp phí, lệ phí\",Trong đó thanh toán trực tuyến,Số tiền đã thu (đồng),Phần liên thông")
    assert first.endswith(",1,1,100000,Không")
