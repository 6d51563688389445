"""Issue 16, `make demo` as a new user meets it, in a real Chromium: `cxroi demo` started on a free port the test
chooses, every link it prints opened (the front page, the sign-in page with each printed login, the personal and
the public survey link, the follow-up case), the survey's first page photographed at phone (390 × 844) and
desktop sizes, then Ctrl-C (SIGINT to the process group, as a terminal sends it): the demo stops cleanly, with
no ResourceWarning and no traceback on its error output."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.load import free_port
from tests import services
from tests.e2e.support import DESKTOP, ROOT, TIMEOUT_MS, shot

PHONE_390 = {"width": 390, "height": 844}
HANG_GUARD_S = 900
"""Only so that a broken demo cannot hang the run: no speed is asserted."""


class Demo:
    """`cxroi demo` running in its own process group, its output in files."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.out, self.err = folder / "demo.out", folder / "demo.err"
        env = {key: value for key, value in os.environ.items()
               if key not in ("CXROI_DATABASE_URL", "CXROI_BASE_URL", "PORT")}
        env |= {"CXROI_INSTANCE_PATH": str(folder / "instance"), "PYTHONUNBUFFERED": "1",
                "PYTHONWARNINGS": "always::ResourceWarning"}
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from webapp.cli import main; main()", "demo", "--port", str(self.port),
                 "--customers", "200", "--seed", "5", "--out", str(folder / "demo-out")],
                cwd=ROOT, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)

    def printed(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def wait_serving(self) -> None:
        started = time.monotonic()
        while time.monotonic() - started < HANG_GUARD_S:
            assert self.process.poll() is None, f"the demo stopped:\n{self.printed()}\n{self.err.read_text()}"
            if "serving on" in self.printed():
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/login") as answer:
                        if answer.status == 200:
                            return
                except OSError:
                    pass
            time.sleep(1)
        raise AssertionError(f"the demo did not start serving:\n{self.printed()}")

    def interrupt(self) -> int:
        """Ctrl-C as a terminal sends it: SIGINT to every process of the group; the exit code."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=HANG_GUARD_S)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    problem = services.browser_problem()
    if problem:
        pytest.skip(problem)
    running = Demo(tmp_path)
    try:
        yield running
    finally:
        running.kill()


def sign_in(page: Any, url: str, email: str, password: str) -> None:
    page.goto(url)
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{email} could not sign in: {page.inner_text('main')[:300]}"


@pytest.mark.slow
def test_every_printed_link_opens_and_ctrl_c_stops_cleanly(demo: Demo, browser: Any) -> None:
    demo.wait_serving()
    printed = demo.printed()
    base = f"http://127.0.0.1:{demo.port}"
    links = sorted(set(re.findall(r"http://127\.0\.0\.1:\d+\S*", printed)))
    assert all(link.startswith(base) for link in links), links  # every link on the port the test chose
    personal = re.search(r"respondent link \(personal, single use\): (\S+)", printed)
    public = re.search(r"public link:\s+(\S+)", printed)
    case = re.search(r"follow-up case \d+ for customer (\S+) .*?(http://\S+/cases/\d+)", printed)
    logins = re.findall(r"^\s+(author|analyst|agent)\s+(\S+)\s+password: (\S+)$", printed, re.MULTILINE)
    assert personal and public and case and len(logins) == 3, printed
    assert f"{base}/login" in links and base in links
    assert {personal.group(1), public.group(1), case.group(2)} <= set(links)

    chromium = browser  # the run's one Playwright (a second sync Playwright in the same thread is refused)
    opened: set[str] = set()
    for viewport, kind in ((PHONE_390, "phone-390x844"), (DESKTOP, "desktop")):
        context = chromium.new_context(viewport=viewport)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        for name, link in (("personal", personal.group(1)), ("public", public.group(1))):
            answer = page.goto(link)
            assert answer is not None and answer.status == 200, f"{link}: {answer and answer.status}"
            assert page.locator("h1").count() == 1 and page.locator("form").count() >= 1, link
            shot(page, f"demo-respondent-{name}-{kind}")
            opened.add(link)
        context.close()
    # a visitor on the front page is sent to sign in; each printed login works there
    for role, email, password in logins:
        context = chromium.new_context(viewport=DESKTOP)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        answer = page.goto(base)
        assert answer is not None and answer.status == 200 and "/login" in page.url
        opened.add(base)
        sign_in(page, f"{base}/login", email, password)
        opened.add(f"{base}/login")
        if role == "agent":  # the follow-up case's link opens for its owner
            answer = page.goto(case.group(2))
            assert answer is not None and answer.status == 200
            assert case.group(1) in page.inner_text("main")
            opened.add(case.group(2))
        context.close()
    assert opened == set(links), f"printed but not opened: {set(links) - opened}"

    code = demo.interrupt()
    errors = demo.err.read_text(encoding="utf-8", errors="replace")
    assert "ResourceWarning" not in errors, errors
    assert "Traceback" not in errors, errors
    assert code == 0, f"exit code {code}:\n{errors}"
