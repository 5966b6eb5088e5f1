"""The national portal adapter against a stand-in portal (a real HTTP server that fails on purpose)."""
from __future__ import annotations

import datetime as dt

import pytest
from portal_standin import Standin, dossier_message, ensure_account
from samples import HOUSEHOLD, paths
from sqlalchemy import func, select
from support import act

from config import load_settings
from engine.app_key import session_key
from engine.db import make_sessionmaker
from engine.documents.results import result_token
from engine.models import Document, Dossier, Outbox, PortalDossier, PortalRejected, Rating
from engine.portal import exchange, sync
from engine.portal.client import PortalClient
from engine.portal.config import PortalConfig
from engine.portal.intake import take_dossier, take_rating
from engine.runtime import Runtime


@pytest.fixture
def standin():
    with Standin(stall_seconds=2.0) as s:
        yield s


@pytest.fixture
def prt(rt, standin, db_url, clock):
    """A runtime whose sessions queue portal messages, pointing at the stand-in."""
    settings = load_settings({"database": {"url": db_url}, "portal": {
        "url": standin.url, "timeout_seconds": 0.5, "unit_code": "000.00.00.H26", "batch": 3},
        "scheduler": {"retry_base_seconds": 60}})
    runtime = Runtime(settings=settings, sessions=make_sessionmaker(rt.db_engine), clock=clock)
    ensure_account(runtime)
    return runtime


def count(rt, model, *where):
    with rt.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_a_dossier_sent_twice_is_one_dossier(prt, standin):
    now = prt.clock.now()
    first = take_dossier(prt, dossier_message("G22.99-260302-0001"), now)
    again = take_dossier(prt, dossier_message("G22.99-260302-0001"), now)
    assert first.result == "taken" and again.result == "duplicate"
    assert again.dossier_code == first.dossier_code
    assert count(prt, PortalDossier) == 1
    with prt.sessions() as s:
        dossier = s.scalars(select(Dossier)).one()
        assert dossier.channel == "online" and dossier.status == "processing"
        # the legal clock started when the portal recorded the dossier complete (08:30), not at intake
        assert dossier.clock_started_at == dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)


def test_a_different_copy_under_the_same_id_is_kept_not_applied(prt):
    now = prt.clock.now()
    take_dossier(prt, dossier_message("X-1"), now)
    outcome = take_dossier(prt, dossier_message("X-1", ChuHoSo="Người Khác"), now)
    assert outcome.result == "rejected" and "other contents" in outcome.reason
    with prt.sessions() as s:
        assert s.scalars(select(Dossier.applicant_name)).one() == "Trần Thị Bình"


@pytest.mark.parametrize("change, field", [
    ({"MaHoSo": None}, "MaHoSo"),
    ({"NgayNopHoSo": "02/03/2026"}, "NgayNopHoSo"),
    ({"NgayNopHoSo": "20300101000000"}, "NgayNopHoSo"),
    ({"KenhThucHien": "1"}, "KenhThucHien"),
    ({"TaiLieuNop": [{"DuongDanTaiTepTin": "x"}]}, "TaiLieuNop.0.TenTepDinhKem"),
    ({"MaTTHC": "9.999999"}, "MaTTHC"),
    ({"MaDonVi": "000.00.99.H99"}, "MaDonVi"),
])
def test_a_malformed_message_is_refused_with_its_reason_and_kept(prt, change, field):
    message = {**dossier_message("BAD-1"), **change}
    outcome = take_dossier(prt, message, prt.clock.now())
    assert outcome.result == "rejected" and field in outcome.errors
    assert count(prt, Dossier) == 0 and count(prt, PortalDossier) == 0 and count(prt, Outbox) == 0
    with prt.sessions() as s:
        kept = s.scalars(select(PortalRejected)).one()
        assert kept.body == message and field in kept.errors


def test_not_json_is_kept_as_text(prt):
    outcome = take_dossier(prt, "{not json", prt.clock.now())
    assert outcome.result == "rejected"
    with prt.sessions() as s:
        assert s.scalars(select(PortalRejected.body)).one() == {"raw": "{not json"}


def test_every_status_change_reaches_the_portal_in_order_with_national_codes(prt, standin, users):
    now = prt.clock.now()
    code = take_dossier(prt, dossier_message("P-1"), now).dossier_code
    steps, end = paths(HOUSEHOLD)["happy"]
    with prt.sessions() as session:
        dossier_id = session.scalars(select(Dossier.id).where(Dossier.code == code)).one()
        for _lane, step, data in steps:
            act(prt, session, users, dossier_id, step, data)
    report = sync.push(prt, prt.clock.now())
    assert report.failed == 0
    record = standin.records["P-1"]  # under the portal's own id, not motcua's code
    assert record["MaTTHC"] == "1.001612" and record["KenhThucHien"] == "2"
    assert record["TrangThaiHoSo"] == "10" and record["NgayTra"] == "20260302090000"  # the result, sent
    assert standin.statuses("P-1") == ["2", "4", "9", "10"] and end == "returned"
    assert count(prt, Outbox, Outbox.sent_at.is_(None)) == 0


def _result_file(session, dossier, sha256, at, removed=False):
    session.add(Document(dossier_id=dossier.id, kind="result", sha256=sha256, size=1234, media_type="application/pdf",
                         pages=1, filename=f"ket-qua-{dossier.code}.pdf", origin="issued", stage="result",
                         attached_at=at, removed_at=at if removed else None))


def test_the_result_record_carries_the_signed_result_files(prt, standin, users):
    now = prt.clock.now()
    code = take_dossier(prt, dossier_message("K-1"), now).dossier_code
    steps, _end = paths(HOUSEHOLD)["happy"]
    with prt.sessions() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.code == code)).one()
        _result_file(session, dossier, "ab" * 32, now)
        _result_file(session, dossier, "cd" * 32, now, removed=True)  # retention removed its bytes: not offered
        session.commit()
        secret, dossier_id = dossier.lookup_secret, dossier.id
        sync.push(prt, prt.clock.now())
        assert standin.records["K-1"]["DanhSachGiayToKetQua"] == []  # the first record, before any result
        for _lane, step, data in steps:
            act(prt, session, users, dossier_id, step, data)
    assert sync.push(prt, prt.clock.now()).failed == 0
    (item,) = standin.records["K-1"]["DanhSachGiayToKetQua"]
    assert item["TenGiayTo"] == f"ket-qua-{code}.pdf" and item["SHA256"] == "ab" * 32 and item["GiayToId"]
    # a link to that file alone (its own token), never the receipt's secret, which opens the whole look-up
    token = result_token(session_key(prt.settings), int(item["GiayToId"]), "ab" * 32)
    assert item["DuongDanTepTinKetQua"] == (f"{prt.settings.public_base_url}/lookup/result?"
                                            f"document={item['GiayToId']}&token={token}")
    assert secret not in item["DuongDanTepTinKetQua"]


@pytest.mark.parametrize("failure", ["fail", "stall", "reject"])
def test_a_failing_portal_is_retried_later_and_nothing_is_lost(prt, standin, clock, failure):
    now = prt.clock.now()
    for i in range(4):
        take_dossier(prt, dossier_message(f"R-{i}"), now)
    getattr(standin, failure)(1)
    first = sync.push(prt, clock.now())
    assert first.failed == 3 and first.sent == 3  # one batch of 3 records failed; the 4th dossier went
    again = sync.push(prt, clock.now())
    assert again.sent == 0 and again.waiting == 9  # the failed ones and their later statuses wait
    sync.push(prt, clock.now() + dt.timedelta(minutes=5))
    assert count(prt, Outbox, Outbox.sent_at.is_(None)) == 0
    for i in range(4):
        assert standin.statuses(f"R-{i}") == ["2", "4"]  # once each, in order, after its record
        assert f"R-{i}" in standin.records


def test_pull_takes_in_acknowledges_and_survives_duplicates(prt, standin):
    for i in range(5):
        standin.inbox[f"Q-{i}"] = dossier_message(f"Q-{i}")
    standin.inbox["Q-bad"] = dossier_message("Q-bad", MaTTHC="")
    standin.duplicates = True
    report = exchange.pull_dossiers(prt, prt.clock.now, batch=10)
    assert report.counts["taken"] == 5 and report.counts["rejected"] >= 1
    assert count(prt, PortalDossier) == 5 and not standin.inbox
    refused = [a for a in standin.acks if a["KetQua"] == 0]
    assert refused and "malformed" in refused[0]["LyDo"]


def test_ratings_come_back_once(prt, standin):
    take_dossier(prt, dossier_message("V-1"), prt.clock.now())
    standin.ratings = [{"MaHoSo": "V-1", "DiemDanhGia": 5, "NoiDungDanhGia": "Nhanh"},
                       {"MaHoSo": "V-1", "DiemDanhGia": 4}, {"MaHoSo": "V-1", "DiemDanhGia": 9}]
    counts = exchange.pull_ratings(prt, prt.clock.now())
    assert counts == {"taken": 1, "duplicate": 1, "rejected": 1}
    with prt.sessions() as s:
        assert s.scalars(select(Rating.score)).one() == 5
    assert take_rating(prt, {"MaHoSo": "nope", "DiemDanhGia": 3}, prt.clock.now()).result == "rejected"


def test_reconcile_names_what_is_out_of_step(prt, standin):
    take_dossier(prt, dossier_message("S-1"), prt.clock.now())
    before = exchange.reconcile(prt)
    assert before.pending == 3 and "S-1" in before.missing
    sync.push(prt, prt.clock.now())
    after = exchange.reconcile(prt)
    assert after.pending == 0 and not after.missing and not after.differ
    standin.progress.append({"MaHoSo": "S-1", "TrangThai": "9"})
    assert exchange.reconcile(prt).differ == [("S-1", "4", "9")]


def test_no_portal_configured_queues_nothing(rt, session, users):
    from support import receive
    receive(rt, session, users)
    assert count(rt, Outbox, Outbox.channel == "portal") == 0
    assert PortalConfig.from_settings(rt.settings).url == ""
    assert PortalClient  # the client is only built when a portal is configured


def test_the_scheduler_pushes_when_a_portal_is_configured(prt, rt):
    from engine import scheduler

    assert "portal_push" in {j.id for j in scheduler.build(prt).get_jobs()}
    assert "portal_push" not in {j.id for j in scheduler.build(rt).get_jobs()}


def test_the_scheduler_pulls_new_dossiers_one_process_at_a_time(prt, standin, rt, clock):
    from engine import lease, scheduler

    jobs = {j.id: j for j in scheduler.build(prt).get_jobs()}
    assert jobs["portal_pull"].trigger.interval == dt.timedelta(seconds=60)  # [portal] pull_interval_seconds
    assert "portal_pull" not in {j.id for j in scheduler.build(rt).get_jobs()}
    assert exchange.scheduled_pull(rt, clock.now()) is None  # no portal configured: nothing asked
    for i in range(7):
        standin.inbox[f"T-{i}"] = dossier_message(f"T-{i}")
    with lease.held(prt, "portal_pull") as got:  # another process is pulling
        assert got
        assert exchange.scheduled_pull(prt, clock.now()) is None
    assert count(prt, PortalDossier) == 0 and len(standin.inbox) == 7
    calls = len(standin.calls)
    report = exchange.scheduled_pull(prt, clock.now())
    assert report.counts["taken"] == 7 and not standin.inbox  # the same intake: batches of 3, then an empty answer
    assert standin.calls[calls:].count("LayDanhSachHoSoMoi") == 4
    with prt.sessions() as s:  # received at the injected clock's time
        assert set(s.scalars(select(Dossier.received_at))) == {clock.now()}
    standin.inbox["T-0"] = dossier_message("T-0")  # the portal sends one again: still one dossier
    assert exchange.scheduled_pull(prt, clock.now()).counts["duplicate"] == 1
    assert count(prt, PortalDossier) == 7


def test_a_scheduled_pull_stops_after_its_batches(prt, standin, clock):
    settings = load_settings({"database": {"url": prt.settings.database_url}, "portal": {
        "url": standin.url, "batch": 2, "pull_batches": 2, "pull_interval_seconds": 15}})
    runtime = Runtime(settings=settings, sessions=prt.sessions, clock=clock)
    assert PortalConfig.from_settings(settings).pull_interval == 15
    for i in range(5):
        standin.inbox[f"U-{i}"] = dossier_message(f"U-{i}")
    assert exchange.scheduled_pull(runtime, clock.now()).counts["taken"] == 4  # two batches of two
    assert len(standin.inbox) == 1
    assert exchange.scheduled_pull(runtime, clock.now()).counts["taken"] == 1  # the rest at the next run
