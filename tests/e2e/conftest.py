"""The headless chromium every browser test drives (skipped outside CI only when it is not installed)."""
from __future__ import annotations

import os

import pytest
from browsing import ARGS, CHROMIUM


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        if not os.environ.get("CI"):
            pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI installs it")
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
