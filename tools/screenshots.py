#!/usr/bin/env python
"""Screenshots of the portal's main pages, from the demo data, for the documentation.

    .venv/bin/python tools/screenshots.py [--out docs/screenshots] [--port 8765]

Starts the portal on a throw-away SQLite database (migrate, load_demo, runserver over ASGI on
127.0.0.1:8765), logs in as the demo users (password demo12345, see workflow/demo.py) in
Debian's Chromium (/usr/bin/chromium, never a downloaded browser), saves 1280x900 PNGs and stops
the server. Nothing of the project's own database or media is touched.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("BROWSER_TESTS_CHROMIUM", "/usr/bin/chromium")
DATABASE = Path("/tmp/shots.sqlite3")
PASSWORD = "demo12345"  # workflow.demo.DEMO_PASSWORD
VIEWPORT = {"width": 1280, "height": 900}
# The demo's call in its public notice: its countersign and the director's page.
NOTICE_CALL = "山西省工业互联网产教融合实训基地"


def environment(media: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        DATABASE_URL=f"sqlite:///{DATABASE}",
        DJANGO_DEBUG="1",  # runserver serves the static files
        MEDIA_ROOT=media,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(*args: str, env: dict[str, str]) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def panel_experts(demo_output: str) -> list[str]:
    """The drawn experts who accepted, from load_demo's table of logins (the draw is random)."""
    return re.findall(r"^(expert_\w+)\s+评审专家 Expert \([^)]*已同意\)", demo_output, re.M)


@contextlib.contextmanager
def server(port: int, env: dict[str, str], log: Path):
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    sys.exit(f"the server stopped (see {log})")
                try:
                    urllib.request.urlopen(url + "/", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        sys.exit(f"the server did not answer on {url} (see {log})")
                    time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Shooter:
    def __init__(self, browser, url: str, out: Path):
        self.browser, self.url, self.out = browser, url, out
        self.problems: list[str] = []
        self.saved: list[Path] = []

    @contextlib.contextmanager
    def session(self, username: str | None = None):
        context = self.browser.new_context(
            base_url=self.url, viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on(
            "response",
            lambda r: r.status >= 500 and self.problems.append(f"{r.status} {r.url}"),
        )
        page.on("pageerror", lambda exc: self.problems.append(f"{page.url}: {exc}"))
        if username:
            page.goto("/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.locator("main form.stacked button[type=submit]").click()
            page.wait_for_url(lambda u: "/accounts/login/" not in u)
        try:
            yield page
        finally:
            context.close()

    def shoot(self, page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        path = self.out / f"{name}.png"
        page.screenshot(path=str(path), type="png")  # the viewport: 1280x900
        self.saved.append(path)
        print(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
            f"  {path.stat().st_size // 1024} KB  {page.url}"
        )


def nav(page, name: str):
    return page.get_by_role("navigation", name="主导航").get_by_role("link", name=name, exact=True)


def call_pk(page, title: str) -> int:
    page.goto("/calls/")
    href = page.get_by_role("link", name=title, exact=True).first.get_attribute("href")
    return int(re.search(r"/calls/(\d+)/", href).group(1))


def score_sheet(shooter: Shooter, experts: list[str]) -> None:
    """A sheet still being scored shows the form (a submitted one is read-only): look for one
    among the panel first, then take any."""
    for wanted in (".badge.state-open", ".badge"):
        for expert in experts:
            with shooter.session(expert) as page:
                nav(page, "我的评审").click()
                page.wait_for_url("**/expert/assignments/")
                sheets = page.locator("main table tbody tr").filter(has=page.locator(wanted))
                if sheets.count():
                    sheets.first.locator("a").first.click()
                    page.wait_for_url("**/expert/assignments/*/")
                    shooter.shoot(page, "04-score-sheet-expert")
                    return
    shooter.problems.append(f"no score sheet found for the experts {experts}")


def take_all(shooter: Shooter, experts: list[str]) -> None:
    with shooter.session() as page:
        page.goto("/")
        shooter.shoot(page, "01-home")
        page.locator("main table.list a").first.click()
        page.wait_for_url("**/calls/*/")
        shooter.shoot(page, "02-call-detail")
        nav(page, "授牌名录").click()
        page.wait_for_url("**/awards/")
        shooter.shoot(page, "06-award-register")
        notice = call_pk(page, NOTICE_CALL)

    with shooter.session("office_sx") as page:
        nav(page, "我的待办").click()
        page.wait_for_url("**/tasks/")
        shooter.shoot(page, "03-my-tasks-office")
        page.goto(f"/office/countersign/{notice}/")
        shooter.shoot(page, "05-countersign")

    score_sheet(shooter, experts)

    with shooter.session("director_sx") as page:
        page.goto(f"/director/calls/{notice}/")
        shooter.shoot(page, "07-director")

    with shooter.session("office_sx") as page:
        nav(page, "办公室统计看板").click()
        page.wait_for_url("**/office/dashboard/**")
        shooter.shoot(page, "08-office-dashboard")
        page.goto("/office/calls/new/")
        shooter.shoot(page, "09-new-call")

    application_steps(shooter)


def application_steps(shooter: Shooter) -> None:
    """Step 1 of the application form, on the first open call, for the first demo applicant
    whose organisation has not applied to it yet (the others are sent to their application)."""
    with shooter.session() as page:
        page.goto("/")
        href = page.locator("main table.list a").first.get_attribute("href")
    call = int(re.search(r"/calls/(\d+)/", href).group(1))
    for applicant in ("applicant_zgq", "applicant_tzgf", "applicant_dayun", "applicant_jinzhong"):
        with shooter.session(applicant) as page:
            page.goto(f"/calls/{call}/apply/")
            if page.url.endswith("/apply/"):
                page.fill("[name=title]", "现代物流产教融合实训基地建设项目")
                shooter.shoot(page, "10-application-step")
                return
    shooter.problems.append("every demo applicant has applied to the first open call")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"Chromium is missing at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    if not fonts.strip():
        print(
            "warning: no Chinese font, the text will show as boxes: apt-get install -y "
            "fonts-wqy-microhei (or fonts-noto-cjk)"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    media = tempfile.mkdtemp(prefix="jiebang-shots-media-")
    env = environment(media)
    try:
        DATABASE.unlink(missing_ok=True)
        print("migrating and loading the demo data (about a minute) ...")
        manage("migrate", "--noinput", env=env)
        experts = panel_experts(manage("load_demo", env=env))
        log = Path(tempfile.gettempdir()) / "jiebang-shots-server.log"
        with server(args.port, env, log) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            shooter = Shooter(browser, url, args.out)
            try:
                take_all(shooter, experts)
            finally:
                browser.close()
    finally:
        shutil.rmtree(media, ignore_errors=True)
        DATABASE.unlink(missing_ok=True)
    if shooter.problems:
        sys.exit("problems seen while taking the screenshots:\n" + "\n".join(shooter.problems))
    print(f"{len(shooter.saved)} screenshots in {args.out}")


if __name__ == "__main__":
    main()
