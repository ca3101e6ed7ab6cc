"""The console end to end in headless Chromium: ``console/launch.py`` (``streamlit run``, bound to
127.0.0.1, headless, usage stats off) in front of a live ragserve, driven by Playwright through
Debian's ``chromium`` (Playwright cannot download browsers here).

Signs in, adds an FAQ item, asks its question in the playground and sees the FAQ answer, follows a
rebuild workflow's steps live to its end, promotes a version, and saves a screenshot of every page: under ``$CONSOLE_E2E_ARTIFACTS`` when set, else in
pytest's tmp folder; each path is recorded as a test property (JUnit XML) and printed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from console_support import REPO, ask, wait_for
from serve_support import LiveServer, free_port

from ragplatform.client import RagClient

CHROMIUM = shutil.which("chromium")
IN_CI = bool(os.environ.get("CI"))
SCROLL_TO_TOP = (
    "() => document.querySelectorAll('[data-testid=stMain], section').forEach(e => e.scrollTo(0, 0))"
)
TIMEOUT_MS = 120_000
USER_QUESTIONS = (
    "Who was the inventor of the atmospheric engine?",
    "Which Apollo mission first landed on the Moon?",
    "What is the largest city of Poland?",
)  # ceiling for one step in the browser (a promotion runs the gate), never asserted on

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None and not IN_CI,
        reason="Debian's chromium is not installed (`make chromium` installs it; in CI this test always runs)",
    ),
]


@pytest.fixture(scope="module")
def console_url(console_api: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The console as `make run` starts it, on a free port, talking to the live API."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("console-e2e-log") / "streamlit.log"
    env = dict(
        os.environ,
        CONSOLE__HOST="127.0.0.1",
        CONSOLE__PORT=str(port),
        CONSOLE__API_URL=console_api.url,
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
    )
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "console" / "launch.py")],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited ({proc.returncode}):\n{log_path.read_text()}")
        try:
            return httpx.get(f"{url}/_stcore/health", timeout=2).text == "ok"
        except httpx.HTTPError:
            return False

    try:
        wait_for(healthy, timeout_s=120)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def spare_version(console_api: LiveServer, admin_credentials: tuple[str, str]) -> str:
    """A built version that does not serve yet, to promote (built through the API when none exists)."""
    with RagClient(console_api.url, timeout=60) as api:
        api.login(*admin_credentials)
        waiting = [v.version for v in api.list_indexes() if not v.is_production]
        if waiting:
            return waiting[0]
        job = api.start_build()
        done = wait_for(lambda: (j := api.build_job(job.job_id)).finished and j, timeout_s=600, every_s=2)
        assert done.status == "succeeded", done.error
        assert done.version is not None
        return done.version


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    where = Path(os.environ.get("CONSOLE_E2E_ARTIFACTS") or tmp_path / "screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


def test_sign_in_add_faq_ask_it_and_promote_in_chromium(
    console_url: str,
    console_api: LiveServer,
    admin_credentials: tuple[str, str],
    admin_token: str,
    spare_version: str,
    artifacts: Path,
    record_property: Callable[[str, object], None],
) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    assert CHROMIUM is not None, "CI must have Debian's chromium: `make test` installs it (make chromium)"
    api = RagClient(console_api.url, token=admin_token, timeout=60)
    before = next(v.version for v in api.list_indexes() if v.is_production)
    marker = uuid.uuid4().hex[:8]
    question = f"What is the password of the e2e lighthouse {marker}?"
    answer = f"The e2e lighthouse {marker} opens with the word tangerine."

    def shoot(page: Page, name: str) -> None:
        page.wait_for_timeout(500)  # let charts and fonts settle; the screenshot is for people
        page.evaluate(SCROLL_TO_TOP)
        path = artifacts / f"console-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        record_property(f"screenshot_{name}", str(path))
        print(f"screenshot: {path}")

    def open_page(page: Page, title: str) -> None:
        page.get_by_role("link", name=title, exact=True).click()
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()

    for n, asked in enumerate(USER_QUESTIONS):  # some traffic, so the overview and metrics show figures
        ask(console_api.url, f"e2e-user-{n % 2}", asked)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page.goto(console_url)

            # sign in
            expect(page.get_by_role("heading", name="ragplatform console")).to_be_visible()
            shoot(page, "sign-in")
            page.get_by_role("textbox", name="Email").fill(admin_credentials[0])
            page.get_by_role("textbox", name="Password").fill(admin_credentials[1])
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
            expect(page.get_by_text("Questions today")).to_be_visible()
            shoot(page, "overview")

            # add an FAQ item
            open_page(page, "Content")
            page.get_by_text("New FAQ item").click()
            form = page.get_by_test_id("stForm").filter(
                has=page.get_by_role("button", name="Create FAQ item")
            )
            form.get_by_role("textbox", name="Question").fill(question)
            form.get_by_role("textbox", name="Answer").fill(answer)
            form.get_by_role("button", name="Create FAQ item").click()
            expect(page.get_by_text("Created FAQ item")).to_be_visible()
            faq = next(f for f in api.list_faq() if f.question == question)
            assert faq.answer == answer and faq.is_active
            shoot(page, "content")

            # ask it in the playground: the FAQ answers
            open_page(page, "Playground")
            page.get_by_role("textbox", name="Question").fill(question)
            page.get_by_role("button", name="Ask").click()
            expect(page.get_by_text(f"Answered directly by FAQ item #{faq.id}")).to_be_visible()
            expect(page.get_by_text(answer).first).to_be_visible()
            shoot(page, "playground")

            open_page(page, "Sessions")
            shoot(page, "sessions")
            open_page(page, "Metrics")
            expect(page.get_by_text("Questions per day")).to_be_visible()
            expect(page.get_by_text("Leads per day")).to_be_visible()
            shoot(page, "metrics")

            # promote a version, confirming, and see the gate's verdict
            open_page(page, "Indexes")
            target = page.get_by_role("combobox", name="Version to promote")
            if target.input_value() != f"v{spare_version}":
                target.click()
                page.get_by_role("option", name=f"v{spare_version}", exact=True).click()
            page.get_by_role("button", name="Promote").click()
            page.get_by_role("button", name=f"Yes, promote v{spare_version}").click()
            expect(page.get_by_text(f"production v{before} → v{spare_version}")).to_be_visible()
            expect(page.get_by_text("verdict: promoted")).to_be_visible()
            assert next(v.version for v in api.list_indexes() if v.is_production) == spare_version
            shoot(page, "indexes")

            # a rebuild started on the Workflows page reports its steps without a click until it ends
            open_page(page, "Workflows")
            page.get_by_text("Promote the new version through the gate").click()  # build only
            page.get_by_role("button", name="Start").click()
            expect(page.get_by_text("promote: completed 100%")).to_be_visible()
            expect(page.get_by_role("button", name="Done")).to_be_visible()
            expect(page.get_by_text("not promoted")).to_be_visible()
            shoot(page, "workflows")
            open_page(page, "Leads")
            shoot(page, "leads")
            page.get_by_role("link", name=re.compile(r"^Notifications")).click()
            expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
            shoot(page, "notifications")
        finally:
            browser.close()
            if next(v.version for v in api.list_indexes() if v.is_production) != before:
                api.promote(before, force=True, reason="restore after the console e2e test")
            api.close()
