"""The notebooks in a real browser: JupyterLab and the MLflow UI on loopback ports, driven
by Debian's headless Chromium through Playwright (no browser download).

Screenshots land in `runs/screenshots/` for people to look at.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from ports import free_port
from takes_home import copy_home, write_project

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "runs" / "screenshots"
TAKE_RUN = re.compile(r"(walk|cat)/v[12]/(previz|priced)/s[123]")  # shot/variant/backend/seed
BIN = Path(sys.executable).parent
STEP_MS = 120_000  # one browser step (page load, kernel start, a cell) on a slow machine

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(420),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; "
        ".ci/run installs it)",
    ),
]


def wait_for_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args!r} exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=3):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{url} did not answer in {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started in its own session, with the kernels or workers it started."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait(timeout=10)


def top(page: Any, selector: str) -> None:
    """Scroll the notebook so that `selector` is at the top of the view."""
    page.locator(selector).first.evaluate("e => e.scrollIntoView({block: 'start'})")


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    home: Path

    def api(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(
            f"{self.url}/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """End the sessions earlier tests started: two cores do not run three kernels well."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")

    def open(self, page: Any, notebook: str) -> None:
        """Open a notebook, run all its cells from the Run menu, hide the file browser."""
        self.shut_down_kernels()
        try:
            # ?reset: a fresh workspace, without the tabs an earlier test left open
            page.goto(f"{self.url}/lab/tree/{notebook}?reset&token={self.token}")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
            select = page.locator(".jp-Dialog:has-text('Select Kernel') button:has-text('Select')")
            with contextlib.suppress(Exception):  # shown only when kernelspecs load late
                select.click(timeout=3000)
            page.click("li.lm-MenuBar-item:has-text('Run')")
            page.click("li.lm-Menu-item[data-command='runmenu:run-all']")
            # clicking the open side panel's tab folds it away: more room for the widget
            # (the workspace remembers it, so it may be folded already)
            side_panel = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
            if side_panel.count():
                side_panel.first.click()
        except Exception:
            shot(page, f"failed-{notebook}")
            dialogs = page.locator(".jp-Dialog")
            if dialogs.count():
                raise AssertionError(f"JupyterLab shows: {dialogs.first.inner_text()}") from None
            raise


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with 24 takes of the `mini` project, private to this module."""
    return copy_home(tmp_path_factory, tmp_path_factory.mktemp("browser") / "home")


def _notebook_copy(name: str, root: Path) -> None:
    """A copy of a notebook whose parameters point at the small project beside it."""
    nb = json.loads((ROOT / "notebooks" / name).read_text())
    for cell in nb["cells"]:
        if "parameters" in cell["metadata"].get("tags", []):
            source = "".join(cell["source"])
            cell["source"] = re.sub(r'project_file = "[^"]*"', 'project_file = "mini.yaml"', source)
    (root / name).write_text(json.dumps(nb, indent=1))


@pytest.fixture(scope="module")
def lab(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on a free loopback port, its root a folder with the widget notebooks and
    the small project; TAKELAB_HOME (outside that root) holds takes already."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    write_project(root)
    for name in ("01_studio.ipynb", "03_dailies.ipynb", "04_compare.ipynb"):
        _notebook_copy(name, root)
    # No news toast over the screenshots, and no "Select Kernel" dialog: start python3.
    settings = base / "settings" / "@jupyterlab"
    for extension, name, values in (
        ("apputils-extension", "notification", {"fetchNews": "false", "checkForUpdates": False}),
        ("notebook-extension", "tracker", {"autoStartDefaultKernel": True}),
    ):
        (settings / extension).mkdir(parents=True, exist_ok=True)
        (settings / extension / f"{name}.jupyterlab-settings").write_text(json.dumps(values))
    token, port = secrets.token_hex(16), free_port()
    # MLflow's set_tracking_uri exports MLFLOW_TRACKING_URI, so an earlier test in this
    # process can leave one behind: the kernel must use the store's own database.
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env |= {
        "TAKELAB_HOME": str(store),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
    }
    args = [
        str(BIN / "jupyter"),
        "lab",
        "--no-browser",
        f"--ServerApp.token={token}",
        f"--ServerApp.port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0",
    ]
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = base / "lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/api/status?token={token}", proc, log, 120)
        yield Lab(url, token, root, store)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(STEP_MS)
    try:
        yield page
    finally:
        context.close()


def take_run(home: Path, take_id: str) -> Any:
    from takelab.home import Home
    from takelab.tracking import Tracker

    tracker = Tracker(Home(home))
    run_id = tracker.find_take_run("mini", take_id)
    assert run_id is not None
    return tracker.client.get_run(run_id)


def test_accept_in_dailies_changes_the_mlflow_run(lab: Lab, page: Any) -> None:
    lab.open(page, "03_dailies.ipynb")
    accept = page.locator(".widget-button:has-text('Accept')")
    accept.wait_for()
    take_id = page.inner_text("code.takelab-take-id").strip()
    assert take_run(lab.home, take_id).data.tags["takelab.verdict"] == "unreviewed"
    # the video comes by URL from the store (outside the Jupyter root): the browser loads it
    page.wait_for_function(
        "() => [...document.querySelectorAll('video')].some(v => v.readyState >= 1)"
    )
    assert page.locator("video").first.get_attribute("src").startswith("http://127.0.0.1:")

    accept.click()
    page.wait_for_selector(".takelab-ok:has-text('accept saved')")
    deadline = time.monotonic() + 30
    while take_run(lab.home, take_id).data.tags["takelab.verdict"] != "accept":
        assert time.monotonic() < deadline, "the take run's verdict did not change"
        time.sleep(0.5)
    assert take_run(lab.home, take_id).data.metrics["accepted"] == 1
    assert page.inner_text("code.takelab-take-id").strip() != take_id  # moved to the next take
    top(page, ".jp-Cell:has-text('dailies = Dailies')")
    shot(page, "dailies")

    page.click(".widget-toggle-button:has-text('grid')")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.widget-gridbox img')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length >= 6"
    )
    shot(page, "dailies-grid")


def test_studio_lints_as_you_type_and_generates_in_the_browser(lab: Lab, page: Any) -> None:
    lab.open(page, "01_studio.ipynb")
    prompt = page.locator(".widget-textarea textarea").first
    prompt.wait_for()
    page.wait_for_selector(".takelab-ok:has-text('no findings')")
    prompt.fill("A woman in a red raincoat walks down a rainy street at night")
    page.wait_for_selector("code:has-text('no-camera')")  # debounced lint, run by the kernel
    page.click(".widget-button:has-text('Generate')")
    page.wait_for_selector(".takelab-ok:has-text('1 done')")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.widget-gridbox video')].some(v => v.readyState >= 1)"
    )
    page.locator(".widget-gridbox video").first.scroll_into_view_if_needed()
    shot(page, "studio")
    assert (
        "A woman in a red raincoat walks down a rainy street"
        in (lab.root / "mini.yaml").read_text()
    )


def test_compare_shows_tables_with_run_links(lab: Lab, page: Any) -> None:
    from takelab.home import Home
    from takelab.journal import Journal
    from takelab.review import record_verdict

    home = Home(lab.home)
    takes = Journal(home.journal).takes(project="mini")
    rejections = {
        "previz": [["static"], ["off-prompt"]],
        "priced": [["blurry", "flicker"], ["warped"]],
    }
    for i, take in enumerate(takes[:9]):
        if i % 3 == 0:
            record_verdict(take.take_id, "accept", home=home)
        else:
            record_verdict(take.take_id, "reject", rejections[take.backend][i % 2], home=home)
    lab.open(page, "04_compare.ipynb")
    page.wait_for_selector("table.takelab-table a:has-text('runs')")
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.widget-image')].some(i => i.naturalWidth > 0)"
    )
    link = page.locator("table.takelab-table a:has-text('runs')").first.get_attribute("href")
    assert link is not None and "workflowType=machine_learning" in link
    page.locator("table.takelab-table").first.scroll_into_view_if_needed()
    shot(page, "compare")


def test_mlflow_ui_lists_take_runs_and_shows_the_preview(
    store: Path, page: Any, tmp_path: Path
) -> None:
    from takelab.home import Home
    from takelab.tracking import Tracker

    exp_id = Tracker(Home(store)).experiment_id("mini")
    port = free_port()
    log = tmp_path / "mlflow.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(BIN / "mlflow"),
                "server",
                "--backend-store-uri",
                f"sqlite:///{store / 'mlflow.db'}",
                "--default-artifact-root",
                str(store / "mlartifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/health", proc, log, 180)
        page.goto(f"{url}/#/experiments/{exp_id}/runs?workflowType=machine_learning")
        # take runs are nested under the sweep runs that made them: expand those
        expanders = page.locator("button[data-component-id*='runnamecellrenderer']")
        expanders.first.wait_for()
        for i in range(expanders.count()):
            expanders.nth(i).click()
        page.wait_for_selector("a:has-text('walk/v1/previz/s1')")
        names = {t.strip() for t in page.locator("a").all_inner_texts()}
        assert len({n for n in names if TAKE_RUN.fullmatch(n)}) >= 4, names
        close = page.locator("button[aria-label='Close']")
        if close.count():
            close.first.click()
        shot(page, "mlflow-runs")

        page.locator("a:has-text('walk/v1/previz/s1')").first.click()
        page.locator("[role=tab]:has-text('Artifacts'), :text-is('Artifacts')").first.click()
        page.locator("text=preview.gif").first.click()
        page.wait_for_function(
            "() => [...document.querySelectorAll(\"img[alt='preview.gif']\")]"
            ".some(i => i.complete && i.naturalWidth > 0)"
        )
        shot(page, "mlflow-preview")
    finally:
        stop(proc)
