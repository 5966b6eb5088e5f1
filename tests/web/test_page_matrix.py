"""Who may open which page, for every page of the workspace (the API's matrix is tests/api/
test_authorization_matrix.py). Reading pages answer 200 to those the engine lets see the object, 404 to
other officials and a sign-in redirect to anonymous callers; every unsafe request without the CSRF token is
refused (400) before its view runs. A new page fails the coverage test until it has its row here."""
from __future__ import annotations

import datetime as dt

import pytest
from web_support import sign_in

from engine import letters

TANLAP = {f"tanlap.{r}" for r in ("reception", "specialist", "head", "leader", "clerk", "supervisor")}
CALLERS = sorted(TANLAP | {"hoabinh.specialist", "admin"}) + ["anonymous"]
SIGNED_IN = set(CALLERS) - {"anonymous"}
#: pages open without signing in (or that only redirect)
PUBLIC = {"web.home", "web.login", "web.language", "web.static", "web.keep_alive", "web.public_lookup",
          "web.public_rating", "web.public_lookup_old", "web.public_result",
          "web.public_result_old"}
#: who keeps or reads Tân Lập's tracking book (engine.tracking_book.BOOK_ROLES)
BOOK = {"tanlap.reception", "tanlap.leader", "tanlap.supervisor", "admin"}
#: who watches Tân Lập's open dossiers (engine.supervision.WATCH_ROLES) and reads its reports (REPORT_ROLES)
WATCH = {"tanlap.head", "tanlap.leader", "tanlap.supervisor", "admin"}
REPORT = {"tanlap.leader", "tanlap.supervisor", "admin"}

#: GET endpoint -> (who gets 200, path built from the world)
READ = {
    "web.inbox": (SIGNED_IN, lambda w: "/hop-viec"),
    "web.inbox_news": (SIGNED_IN, lambda w: "/hop-viec/moi?since=0"),
    "web.password": (SIGNED_IN, lambda w: "/doi-mat-khau"),
    "web.task": ({"tanlap.specialist", "tanlap.head", "tanlap.leader", "tanlap.supervisor", "admin"},
                 lambda w: f"/cong-viec/{w['task']}"),
    "web.dossier": (TANLAP | {"admin"}, lambda w: f"/ho-so/{w['dossier']}"),
    "web.dossier_diagram": (TANLAP | {"admin"}, lambda w: f"/ho-so/{w['dossier']}/quy-trinh.bpmn"),
    "web.desk": (SIGNED_IN, lambda w: "/tiep-nhan"),
    "web.returns": (SIGNED_IN, lambda w: "/tra-ket-qua"),
    "web.forwardings": (SIGNED_IN, lambda w: "/chuyen-ho-so"),
    "web.tracking_book": (SIGNED_IN, lambda w: "/so-theo-doi"),
    "web.tracking_book_csv": (BOOK, lambda w: f"/so-theo-doi.csv?agency_id={w['agency']}"),
    "web.desk_procedure": (SIGNED_IN, lambda w: "/tiep-nhan/thu-tuc/household-business"),
    "web.desk_received": (TANLAP | {"admin"}, lambda w: f"/tiep-nhan/ho-so/{w['dossier']}"),
    "web.return_task": ({"tanlap.specialist", "tanlap.head", "tanlap.leader", "tanlap.supervisor", "admin"},
                        lambda w: f"/tra-ket-qua/{w['task']}"),
    # administration: system administrators (agency administrators: tests/web/test_admin_pages.py)
    "web.admin_agencies": ({"admin"}, lambda w: "/quan-tri/co-quan"),
    "web.admin_agency": ({"admin"}, lambda w: f"/quan-tri/co-quan/{w['agency']}"),
    "web.admin_officials": ({"admin"}, lambda w: "/quan-tri/can-bo"),
    "web.admin_official": ({"admin"}, lambda w: f"/quan-tri/can-bo/{w['official']}"),
    "web.admin_calendar": ({"admin"}, lambda w: "/quan-tri/lich?year=2026"),
    "web.admin_audit": ({"admin"}, lambda w: "/quan-tri/nhat-ky"),
    # supervision (api/web/views/oversight.py): the tabs open for everyone signed in (a notice when the
    # official holds no role for them); what lies behind a figure or a letter, for those the engine lets see it
    "web.escalations": (SIGNED_IN, lambda w: "/canh-bao"),
    "web.risk_board": (SIGNED_IN, lambda w: "/giam-sat/rui-ro?by=official"),
    "web.risk_board_dossiers": (WATCH, lambda w: f"/giam-sat/rui-ro/ho-so?by=agency&key={w['agency']}&level=open"),
    "web.report_06a": (SIGNED_IN, lambda w: "/giam-sat/bao-cao?from=2026-03-01&to=2026-03-31"),
    "web.indicators_766": (SIGNED_IN, lambda w: "/giam-sat/chi-so-766?from=2026-03-01&to=2026-03-31"),
    "web.indicator_dossiers": (REPORT, lambda w: f"/giam-sat/chi-so-766/2.1/ho-so?agency_id={w['agency']}"
                                                 "&from=2026-03-01&to=2026-03-31"),
    "web.evaluation_page": (SIGNED_IN, lambda w: "/giam-sat/danh-gia?year=2026"),
    "web.apology_letters": (SIGNED_IN, lambda w: "/giam-sat/thu-xin-loi"),
    "web.apology_letter": (TANLAP | {"admin"}, lambda w: f"/giam-sat/thu-xin-loi/{w['dossier']}"),
    # the studio is for designers and approvers (tests/web/test_studio_pages.py signs them in)
    "web.studio_home": (set(), lambda w: "/studio/"),
    "web.studio_edit": (set(), lambda w: "/studio/household-business"),
    "web.studio_draft": (set(), lambda w: "/studio/household-business/draft.json"),
    "web.studio_versions": (set(), lambda w: "/studio/household-business/versions"),
    "web.studio_version_bpmn": (set(), lambda w: "/studio/household-business/versions/1.bpmn"),
    "web.studio_diff": (set(), lambda w: "/studio/household-business/diff?a=1&b=1"),
}


@pytest.fixture
def world(receive, session, users):
    result = receive()
    # a form 04 drafted for the dossier, as the deadline scan drafts it (the letter pages need one)
    letters.draft_letters(session, [(result.dossier.id, result.dossier.due_at + dt.timedelta(days=2))],
                          result.dossier.received_at)
    session.commit()
    return {"task": result.created[0].id, "dossier": result.dossier.id, "agency": result.dossier.agency_id,
            "official": users["tanlap.clerk"].id}


@pytest.fixture
def clients(app):
    made = {}

    def get(who):
        if who not in made:
            made[who] = app.test_client() if who == "anonymous" else sign_in(app.test_client(), who)
        return made[who]

    return get


def test_every_page_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("web.")}
    unsafe = {rule.endpoint for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("web.") and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}}
    missing = endpoints - set(READ) - PUBLIC - unsafe
    assert not missing, f"give these pages a row in READ: {sorted(missing)}"


def test_who_may_open_each_page(world, clients):
    failures = []
    for endpoint, (allowed, path) in READ.items():
        for who in CALLERS:
            response = clients(who).get(path(world))
            expected = 200 if who in allowed else 302 if who == "anonymous" else 404
            if response.status_code != expected:
                failures.append(f"{endpoint} {who}: {response.status_code}, expected {expected}")
    assert not failures, "\n".join(failures)


def test_every_unsafe_request_needs_the_csrf_token(app, world, clients):
    official = clients("tanlap.head")
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("web.") or "POST" not in rule.methods:
            continue
        path = rule.rule.replace("<int:task_id>", str(world["task"])).replace("<int:filter_id>", "1")
        path = path.replace("<slug>", "household-business")
        path = path.replace("<int:agency_id>", str(world["agency"])).replace("<int:user_id>", str(world["official"]))
        path = path.replace("<int:escalation_id>", "1").replace("<int:dossier_id>", str(world["dossier"]))
        path = path.replace("<int:handover_id>", "1")
        for headers in ({}, {"X-CSRF-Token": "forged"}):
            response = official.post(path, data={"csrf_token": "forged"} if not headers else {}, headers=headers)
            assert response.status_code == 400, (rule.rule, headers, response.status_code)
