"""The API documentation as a person opens it: Swagger UI in a headless Chromium, from a real server.

Debian's chromium (/usr/bin/chromium), not a browser downloaded by `playwright install`: the machines reach
no download site. Every request that leaves 127.0.0.1 is refused and recorded, so the page is shown to work
on an intranet without internet. Skipped only outside CI when chromium is not installed.
"""
from __future__ import annotations

import pytest
from support import serving

from api import create_app
from config import load_settings
from engine.runtime import Runtime

pytestmark = pytest.mark.slow


@pytest.fixture
def docs_app(tmp_path):
    # The documentation reads no table: a runtime on an empty SQLite file is enough (and one run, not two).
    settings = load_settings({"database": {"url": f"sqlite:///{tmp_path / 'docs.db'}"}})
    return create_app(runtime=Runtime.from_settings(settings))


def test_swagger_ui_renders_the_operations_offline(browser, docs_app, tmp_path):
    outside: list[str] = []

    def only_local(route):
        if route.request.url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with serving(docs_app) as base:
        page = browser.new_page()
        page.route("**/*", only_local)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        response = page.goto(f"{base}/api/v1/docs")
        assert response is not None and response.status == 200
        page.wait_for_selector(".opblock-summary-path", timeout=30_000)
        paths = {text.strip().replace("\u200b", "") for text in page.locator(".opblock-summary-path").all_inner_texts()}
        heading = page.locator(".info .title").inner_text()
        # Open the inbox operation: its query parameters and documented answers are listed.
        page.locator("#operations-tasks-get_api_v1_tasks .opblock-summary").first.click()
        inbox = page.locator("#operations-tasks-get_api_v1_tasks")
        inbox.locator(".parameters").first.wait_for(timeout=10_000)
        parameters = set(inbox.locator(".parameters .parameter__name").all_inner_texts())
        statuses = {t.strip() for t in inbox.locator(".responses-table .response-col_status").all_inner_texts()}
        document_title = page.title()
        page.screenshot(path=str(tmp_path / "docs.png"))  # kept by pytest for a look after a failure
        page.close()

    assert document_title == "motcua"
    assert heading.split()[0] == "motcua"  # Swagger UI's heading: the title, then version badges
    assert {"/api/v1/tasks", "/api/v1/dossiers", "/api/v1/tasks/{task_id}/complete",
            "/api/v1/public/dossiers/{code}"} <= paths
    assert {"scope", "cursor", "limit"} <= {name.split()[0] for name in parameters}
    assert {"200", "401", "422"} <= statuses
    assert not errors, errors
    assert not outside, f"the docs page tried to reach outside 127.0.0.1: {outside}"

