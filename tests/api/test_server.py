"""A real HTTP server on 127.0.0.1: whole dossiers walked by the officials over sockets, then the citizen's look-up.

No Flask test client here: werkzeug's threaded server in a thread (on the test runtime, its frozen clock and
both databases), and once `motcua serve` as a subprocess on the same database (the real clock), spoken to
with urllib like any other client. Each official has their own cookie jar (the login session).
"""
from __future__ import annotations

import contextlib
import gc
import http.cookiejar
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from samples import PROCEDURES, RETURN_COUNTER, SIGN_APPROVE
from support import APPLICANT, PASSWORD, TANLAP, serving

pytestmark = pytest.mark.slow


class Client:
    """One caller over HTTP: JSON in and out, a cookie jar of its own, no exception on 4xx."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, method: str, path: str, body=None, **query) -> tuple[int, dict | None, str]:
        url = self.base + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"Content-Type": "application/json"} if data else {})
        try:
            with self.opener.open(request, timeout=30) as response:
                status, raw, mimetype = response.status, response.read(), response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            status, raw, mimetype = error.code, error.read(), error.headers.get_content_type()
        text = raw.decode()
        return status, json.loads(text) if mimetype.endswith("json") and text else None, text

    def ok(self, method: str, path: str, body=None, expect: int = 200, **query) -> dict:
        status, payload, text = self.call(method, path, body, **query)
        assert status == expect, f"{method} {path}: {status} {text[:500]}"
        return payload


def official(base: str, username: str) -> Client:
    client = Client(base)
    me = client.ok("POST", "/api/v1/auth/login", {"username": username, "password": PASSWORD})
    assert me["username"] == username
    return client


def walk(base: str, procedure) -> dict:
    """Receive a dossier at Tân Lập's desk, have each official do their step, return it; the receipt."""
    reception = official(base, "tanlap.reception")
    [agency_id] = {m["agency_id"] for m in reception.ok("GET", "/api/v1/auth/me")["memberships"]}
    received = reception.ok("POST", "/api/v1/dossiers", {
        "procedure": procedure.slug, "agency_id": agency_id, "channel": "counter", "applicant": APPLICANT},
        expect=201)
    receipt, dossier_id = received["receipt"], received["dossier"]["id"]
    assert receipt["code"].startswith(f"{TANLAP}-") and receipt["lookup_secret"]
    assert receipt["applicant"]["id_number"] == APPLICANT["id_number"]  # the printed receipt carries them

    steps = [("specialist", "examine", procedure.approve), ("leader", "sign", SIGN_APPROVE), *procedure.issue,
             ("reception", "return_result", RETURN_COUNTER)]
    clients = {"reception": reception}
    for role, step, data in steps:
        me = clients.get(role) or clients.setdefault(role, official(base, f"tanlap.{role}"))
        inbox = me.ok("GET", "/api/v1/tasks", scope="groups", procedure=procedure.slug)["items"]
        [task] = [row for row in inbox if row["dossier"]["id"] == dossier_id]
        assert (task["bpmn_id"], task["state"], task["role"]) == (step, "ready", role)
        detail = me.ok("GET", f"/api/v1/tasks/{task['id']}")
        assert detail["form"] and (not detail["outcomes"] or data.get("outcome") in detail["outcomes"])
        claimed = me.ok("POST", f"/api/v1/tasks/{task['id']}/claim")
        assert claimed["state"] == "claimed"
        assert [row["id"] for row in me.ok("GET", "/api/v1/tasks", scope="mine")["items"]] == [task["id"]]
        done = me.ok("POST", f"/api/v1/tasks/{task['id']}/complete", {"data": data})
        assert done["completed"]["id"] == task["id"] and done["completed"]["state"] == "completed"

    assert done["dossier"]["status"] == "returned" and done["created"] == []
    shown = reception.ok("GET", f"/api/v1/dossiers/{dossier_id}")
    assert shown["dossier"]["status"] == "returned" and shown["current_steps"] == []
    assert [h["to_step"] for h in shown["control_sheet"]["handovers"]] == [s for _, s, _ in steps]
    return receipt


def look_up_and_rate(base: str, receipt: dict) -> None:
    """The citizen, without login: status "returned", no personal data; one rating, not two."""
    citizen = Client(base)
    code, secret = receipt["code"], receipt["lookup_secret"]
    status, body, text = citizen.call("GET", f"/api/v1/public/dossiers/{code}", secret=secret)
    assert status == 200, text
    assert body["status"] == "returned" and body["may_rate"] is True and body["current_steps"] == []
    for value in APPLICANT.values():
        assert value not in text and value not in json.dumps(body, ensure_ascii=False)
    assert "applicant" not in text and secret not in text
    assert citizen.call("GET", f"/api/v1/public/dossiers/{code}", secret="WRONG-ONE")[0] == 404

    rating = {"secret": secret, "score": 5, "criteria": {"attitude": 5}, "comment": "Nhanh, đúng hẹn."}
    assert citizen.ok("POST", f"/api/v1/public/dossiers/{code}/rating", rating, expect=201)["score"] == 5
    again = citizen.call("POST", f"/api/v1/public/dossiers/{code}/rating", {**rating, "score": 1})
    assert again[0] == 409 and again[1]["status"] == 409
    assert citizen.ok("GET", f"/api/v1/public/dossiers/{code}", secret=secret)["is_rated"] is True


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.slug)
def test_a_dossier_walked_over_http_by_every_official(app, procedure):
    with serving(app) as base:
        receipt = walk(base, procedure)
        look_up_and_rate(base, receipt)


def test_officials_work_at_the_same_time(app, receive):
    """Several officials' requests in flight together: each answer is right and none is a 5xx."""
    received = [receive(applicant_name=f"Người nộp {i}") for i in range(4)]
    with serving(app) as base:
        callers = [official(base, u) for u in ("tanlap.specialist", "tanlap.supervisor", "admin", "tanlap.head")]
        answers: list[tuple[int, int]] = []

        def work(me: Client, index: int) -> None:
            for _ in range(5):
                answers.append((me.call("GET", "/api/v1/tasks")[0], 200))
                answers.append((me.call("GET", f"/api/v1/dossiers/{received[index].dossier.id}")[0], 200))

        threads = [threading.Thread(target=work, args=(me, i)) for i, me in enumerate(callers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert len(answers) == 40 and all(got == expected for got, expected in answers), answers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def motcua_serve(db_url: str, log: Path, gunicorn: bool = False):
    """`motcua serve` (or gunicorn with config/gunicorn.conf.py) in a subprocess on the test database, its
    output in `log`; terminated on exit."""
    port = _free_port()
    # The deadline jobs stay off: this test is about the HTTP path, and they would write to the test database.
    env = {**os.environ, "MOTCUA_DATABASE_URL": db_url, "MOTCUA_SCHEDULER_IN_PROCESS": "false",
           "MOTCUA_SERVER_SECURE_COOKIES": "false"}  # plain http
    bin_dir = Path(sys.executable).parent
    command = ([str(bin_dir / "gunicorn"), "-c", "config/gunicorn.conf.py", "-w", "1", "-b", f"127.0.0.1:{port}",
                "api:create_app()"] if gunicorn else
               [str(bin_dir / "motcua"), "serve", "--host", "127.0.0.1", "--port", str(port)])
    output = log.open("wb")
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            with contextlib.suppress(OSError):
                if Client(base).call("GET", "/api/v1/openapi.json")[0] == 200:
                    break
            assert time.monotonic() < deadline, f"{command[0]} did not answer within 30 s"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()


def test_motcua_serve_walks_both_procedures(rt, db_url, tmp_path):
    # `rt` cleared the database's dossiers; the subprocess serves the same database, on the real clock.
    with motcua_serve(db_url, tmp_path / "serve.log") as base:
        for procedure in PROCEDURES:
            look_up_and_rate(base, walk(base, procedure))
        status, body, _ = Client(base).call("GET", "/api/v1/tasks")
        assert status == 401 and body["title"] == "Chưa đăng nhập"  # Vietnamese unless Accept-Language asks for English


def test_gunicorn_with_the_projects_config_serves_a_dossier(rt, db_url, tmp_path):
    with motcua_serve(db_url, tmp_path / "gunicorn.log", gunicorn=True) as base:
        look_up_and_rate(base, walk(base, PROCEDURES[0]))


def test_a_gunicorn_worker_freezes_what_it_loaded_out_of_the_collectors_sight():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "config" / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert gc.get_freeze_count() == 0
    try:
        conf.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
