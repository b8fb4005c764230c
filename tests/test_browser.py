"""The notebooks in a real browser: JupyterLab and the MLflow UI on loopback ports, driven
by Debian's headless Chromium through Playwright (no browser download).

One JupyterLab serves the whole module (starting it costs more than most tests). Its root
is laid out like the repository, `notebooks/` beside `prompts/`, and the notebooks keep
their relative `prompts/...` paths: a kernel starts in `notebooks/`, so every notebook
passing here resolves project paths the way a user's does.

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
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from ports import free_port
from takelab.home import Home
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
# a take run's name: shot/variant@version seed N, and the backend when it is not previz
TAKE_RUN = re.compile(r"(walk|cat)/v[12]@[0-9a-f]{8} seed [123]( · priced:tenth)?")
WALK_V1_S1 = re.compile(r"^walk/v1@[0-9a-f]{8} seed 1$")
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


def wait_for(page: Any, selector: str, *, timeout_ms: int = STEP_MS) -> None:
    """`page.wait_for_selector`, which on a timeout says what the widget's messages are
    and leaves a screenshot."""
    try:
        page.wait_for_selector(selector, timeout=timeout_ms)
    except Exception:
        shot(page, "failed-wait")
        shown = page.locator(".takelab-ok, .takelab-warn, .takelab-error").all_inner_texts()
        raise AssertionError(f"{selector} did not show; messages: {shown}") from None


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
        notebook = f"notebooks/{notebook}"
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
            shot(page, f"failed-{Path(notebook).stem}")
            dialogs = page.locator(".jp-Dialog")
            if dialogs.count():
                raise AssertionError(f"JupyterLab shows: {dialogs.first.inner_text()}") from None
            raise


LONG_PROJECT = """\
project: long
defaults:
  duration: 4
  aspect: "16:9"
  resolution: 480p
shots:
  - id: pier
    variants:
      - id: v1
        prompt: A fisherman walks along a wooden pier at dawn, slow dolly back, soft mist
      - id: v2
        prompt: A fisherman walks slowly along a wooden pier at dawn, slow dolly back, golden
          light through soft mist
"""


@dataclass
class Store:
    home: Path
    long_takes: list[str]  # two 4-second takes of two versions, for the A/B player


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store with 24 takes of the `mini` project and two 4-second takes of `long` (time
    enough to see two videos play in sync), private to this module."""
    from takelab.home import Home
    from takelab.sweep.run import run_sweep

    base = tmp_path_factory.mktemp("browser")
    home = copy_home(tmp_path_factory, base / "home")
    long_file = base / "long.yaml"
    long_file.write_text(LONG_PROJECT)
    saved = os.environ.pop("MLFLOW_TRACKING_URI", None)
    try:
        result = run_sweep(long_file, backends=["previz"], progress=False, home=Home(home))
    finally:
        if saved is not None:
            os.environ["MLFLOW_TRACKING_URI"] = saved
    assert result.counts["done"] == 2, result.describe()
    return Store(home, [o.take_id for o in result.outcomes])


def _notebook_copy(name: str, root: Path, **params: Any) -> None:
    """A copy of a notebook in `root/notebooks/` pointing at the small project, by the same
    relative path the repository's notebooks use (`prompts/...`), other parameters set."""
    nb = json.loads((ROOT / "notebooks" / name).read_text())
    for cell in nb["cells"]:
        if "parameters" in cell["metadata"].get("tags", []):
            source = "".join(cell["source"])
            source = re.sub(r'project_file = "[^"]*"', 'project_file = "prompts/mini.yaml"', source)
            # The sweep notebook's one parameter is a SweepSpec written as a dict.
            source = re.sub(
                r'"project_file": "[^"]*"', '"project_file": "prompts/mini.yaml"', source
            )
            for key, value in params.items():
                source = re.sub(rf"^{key} = .*$", f"{key} = {value!r}", source, flags=re.M)
                source = re.sub(
                    rf'^(\s*)"{key}": [^#\n]*?,', rf'\1"{key}": {value!r},', source, flags=re.M
                )
            cell["source"] = source
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    (root / "notebooks" / name).write_text(json.dumps(nb, indent=1))


@pytest.fixture(scope="module")
def lab(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on a free loopback port, its root laid out like the repository (the
    notebooks in `notebooks/`, the small project in `prompts/`); TAKELAB_HOME (outside that
    root) holds takes already."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    write_project(root / "prompts")
    for name in ("01_studio.ipynb", "04_compare.ipynb", "05_cut.ipynb"):
        _notebook_copy(name, root)
    _notebook_copy("02_sweep.ipynb", root, seeds=2)
    _notebook_copy("03_dailies.ipynb", root, ab_takes=store.long_takes)
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
        "TAKELAB_HOME": str(store.home),
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
        yield Lab(url, token, root, store.home)
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
    from takelab.tracking.tracker import Tracker

    tracker = Tracker(Home(home))
    run_id = tracker.find_take_run("mini", take_id)
    assert run_id is not None
    return tracker.client.get_run(run_id)


def journal(lab: Lab) -> Any:
    from takelab.journal.store import Journal

    return Journal(lab.home / "journal.sqlite")


def test_accept_in_dailies_changes_the_mlflow_run(lab: Lab, page: Any) -> None:
    lab.open(page, "03_dailies.ipynb")
    dailies = page.locator(".takelab-dailies")
    accept = dailies.locator(".widget-button:has-text('Accept')")
    accept.wait_for()
    take_id = page.inner_text("code.takelab-take-id").strip()
    assert take_run(lab.home, take_id).data.tags["takelab.verdict"] == "unreviewed"
    # the video comes by URL from the store (outside the Jupyter root): the browser loads it
    page.wait_for_function(
        "() => [...document.querySelectorAll('.takelab-dailies video')]"
        ".some(v => v.readyState >= 1)"
    )
    assert dailies.locator("video").first.get_attribute("src").startswith("http://127.0.0.1:")

    # `r` with no reason picked asks for one and records nothing
    keys = dailies.locator("input[placeholder^='keys']")
    keys.fill("r")
    page.wait_for_selector(".takelab-dailies .takelab-warn:has-text('pick a reason first')")
    assert take_id not in journal(lab).latest_verdicts()

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

    page.click(".takelab-dailies .widget-toggle-button:has-text('grid')")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.takelab-dailies .widget-gridbox img')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length >= 6"
    )
    shot(page, "dailies-grid")


def test_reviewing_24_takes_one_by_one_and_with_the_grid(lab: Lab, page: Any) -> None:
    """The same 24 takes reviewed twice through the browser, timed by this test's clock:
    24 verdicts one take at a time in Dailies, then the two shots' grids, each selected
    whole and rejected with one reason. Printed, never asserted (see benchmarks/)."""
    lab.open(page, "03_dailies.ipynb")
    dailies = page.locator(".takelab-dailies")
    accept = dailies.locator(".widget-button:has-text('Accept')")
    accept.wait_for()
    grid = page.locator(".takelab-grid")
    grid.locator("div.takelab-cell").first.wait_for()

    started = time.monotonic()
    for _ in range(24):
        before = page.inner_text("code.takelab-take-id").strip()
        accept.click()
        page.wait_for_function(
            "before => document.querySelector('code.takelab-take-id').textContent.trim() "
            "!== before || document.querySelector('b.takelab-verdict').textContent === 'accept'",
            arg=before,
        )
    one_by_one = time.monotonic() - started

    grid.scroll_into_view_if_needed()
    shots = grid.locator("select").first.locator("option").all_inner_texts()
    assert sorted(shots) == ["cat", "walk"]
    started = time.monotonic()
    reviewed: list[str] = []
    for i, name in enumerate(shots):
        if i:
            first = grid.locator("div.takelab-cell").first.get_attribute("data-take")
            grid.locator("select").first.select_option(name)
            page.wait_for_function(
                "first => document.querySelector('.takelab-grid div.takelab-cell')"
                ".dataset.take !== first",
                arg=first,
            )
        assert grid.locator("div.takelab-cell").count() == 12
        reviewed += [
            str(grid.locator("div.takelab-cell").nth(k).get_attribute("data-take"))
            for k in range(12)
        ]
        grid.locator(".widget-button:has-text('Select all')").click()
        grid.locator(".widget-toggle-button:has-text('off-prompt')").click()
        grid.locator(".widget-button:has-text('Reject selected')").click()
        wait_for(page, f".takelab-grid .takelab-ok:has-text('12 takes of {name}')")
    with_grid = time.monotonic() - started

    latest = journal(lab).latest_verdicts()
    assert len(set(reviewed)) == 24
    assert all(
        latest[t].verdict == "reject" and latest[t].reasons == ["off-prompt"] for t in reviewed
    )
    print(
        f"\nreviewing 24 takes in the browser: one by one {one_by_one:.1f} s "
        f"({one_by_one / 24:.2f} s a take), with the grid {with_grid:.1f} s "
        f"({with_grid / 24:.2f} s a take), {one_by_one / with_grid:.1f}x faster with the grid"
    )


def test_grid_rejects_a_selection_with_one_reason(lab: Lab, page: Any) -> None:
    lab.open(page, "03_dailies.ipynb")
    grid = page.locator(".takelab-grid")
    cells = grid.locator("div.takelab-cell")
    cells.first.wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.takelab-grid video')].filter(v => v.readyState >= 2)"
        ".length >= 8"
    )
    picked = [1, 2, 5, 6]
    chosen = [str(cells.nth(k).get_attribute("data-take")) for k in picked]
    boxes = grid.locator(".takelab-cell-select input[type=checkbox]")
    for k in picked:
        boxes.nth(k).check()
    grid.locator(".widget-button:has-text('Reject selected')").click()  # no reason yet
    page.wait_for_selector(".takelab-grid .takelab-warn:has-text('pick a reason first')")
    assert all(journal(lab).latest_verdicts()[t].reasons != ["warped"] for t in chosen)

    grid.locator(".widget-toggle-button:has-text('warped')").click()
    grid.locator("input.widget-input[placeholder^='or say it']").fill("legs bend backwards")
    grid.locator(".widget-button:has-text('Reject selected')").click()
    wait_for(page, ".takelab-grid .takelab-ok:has-text('reject saved for 4 takes')")
    latest = journal(lab).latest_verdicts()
    for take_id in chosen:
        assert latest[take_id].verdict == "reject"
        assert latest[take_id].reasons == ["warped"]
        assert latest[take_id].note == "legs bend backwards"
    grid.locator(".takelab-transport button.takelab-play").click()
    page.wait_for_timeout(800)
    top(page, ".jp-Cell:has-text('grid = ReviewGrid')")
    shot(page, "grid")


def test_ab_player_plays_in_sync_and_records_preferences(lab: Lab, page: Any, store: Store) -> None:
    lab.open(page, "03_dailies.ipynb")
    player = page.locator(".takelab-ab")
    videos = player.locator("video.takelab-sync")
    videos.first.wait_for()
    player.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.takelab-ab video')].filter(v => v.readyState >= 3)"
        ".length === 2"
    )
    captions = player.locator(".takelab-pane-caption").all_inner_texts()
    assert len(captions) == 2 and all("previz:" in c and "seed 1" in c for c in captions)
    assert player.locator(".takelab-diff ins").count() >= 1  # the prompts' word diff

    times = "e => [...e.querySelectorAll('video.takelab-sync')].map(v => v.currentTime)"
    player.locator("button.takelab-play").click()
    page.wait_for_timeout(2000)  # two seconds of play
    a, b = player.evaluate(times)
    assert a > 1.0, f"the videos did not play: {a:.3f} s"
    assert abs(a - b) < 0.1, f"out of sync: {a:.3f} s and {b:.3f} s"
    shot(page, "ab")
    player.locator("button.takelab-play").click()  # pause: both stop at the same frame
    page.wait_for_function(
        "() => [...document.querySelectorAll('.takelab-ab video')].every(v => v.paused)"
    )
    a, b = player.evaluate(times)
    assert abs(a - b) < 0.05
    player.locator("button[data-act=fwd]").click()  # one frame on, for both
    deadline = time.monotonic() + 10
    while True:
        stepped = player.evaluate(times)
        if all(abs(t - (a + 1 / 24)) < 0.02 for t in stepped):
            break
        assert time.monotonic() < deadline, f"a frame on from {a:.3f} s: {stepped}"
        time.sleep(0.2)

    player.locator("input[placeholder^='why']").fill("the golden light")
    player.locator(".widget-button:has-text('Right is better')").click()
    player.locator(".takelab-ok:has-text('right is better')").wait_for()
    prefs = journal(lab).preferences(project="long")
    assert [(p.take_a, p.take_b, p.winner, p.reason) for p in prefs] == [
        (*store.long_takes, "b", "the golden light")
    ]

    # the keyboard: with the player focused, space plays and `s` says "the same"
    videos.first.click()
    page.keyboard.press(" ")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.takelab-ab video')].every(v => !v.paused)"
    )
    page.keyboard.press("s")
    player.locator(".takelab-ok:has-text('the same')").wait_for()
    assert [p.winner for p in journal(lab).preferences(project="long")] == ["b", "same"]
    assert page.locator(".jp-Notebook .jp-Cell").count() == 7  # `a`/`b` added no cells


def test_studio_edit_generate_then_save_as_a_revision(lab: Lab, page: Any) -> None:
    from takelab.project.model import load_project
    from takelab.review.versions import versions

    project_file = lab.root / "prompts" / "mini.yaml"
    before = project_file.read_bytes()
    lab.open(page, "01_studio.ipynb")
    prompt = page.locator(".widget-textarea textarea").first
    prompt.wait_for()
    page.wait_for_selector(".takelab-ok:has-text('no findings')")
    wording = "A woman in a red raincoat walks down a rainy street at night"
    prompt.fill(wording)
    page.wait_for_selector("code:has-text('no-camera')")  # debounced lint, run by the kernel
    page.wait_for_selector(".takelab-warn:has-text('draft')")
    page.click(".widget-button:has-text('Generate')")
    page.wait_for_selector(".takelab-ok:has-text('1 done')")
    assert "the file is unchanged" in page.inner_text(".takelab-ok:has-text('1 done')")
    assert project_file.read_bytes() == before  # Generate renders the draft, writes nothing
    page.wait_for_function(
        "() => [...document.querySelectorAll('.widget-gridbox video')].some(v => v.readyState >= 1)"
    )
    page.wait_for_selector("table.takelab-history :text('the draft')")
    page.locator(".widget-gridbox video").first.scroll_into_view_if_needed()
    shot(page, "studio")

    page.click(".widget-toggle-button:has-text('new revision')")
    page.click("button.widget-button:text-is('Save')")
    page.wait_for_selector(".takelab-ok:has-text('revised walk/v1')")
    text = project_file.read_text()
    assert "# a comment that must survive" in text  # comments intact
    walk = load_project(project_file).shot("walk")
    assert [v.id for v in walk.variants] == ["v1", "v2"]  # a revision, not a new variant
    assert walk.variant("v1").prompt == wording
    rows = versions(project_file, shot="walk", variant="v1", home=Home(lab.home))
    assert len(rows) == 2 and rows[-1].current and rows[-1].takes == 1  # one more revision
    assert rows[0].takes == 6 and wording not in rows[0].text
    page.wait_for_selector("table.takelab-history :text('in the file')")


def test_sweep_notebook_completes_under_run_all(lab: Lab, page: Any) -> None:
    """The kernel starts in notebooks/ and the parameters name `prompts/mini.yaml`, as in
    the repository: Run All reaches the last cell (it stops at the first error)."""
    lab.open(page, "02_sweep.ipynb")
    page.wait_for_selector(".jp-OutputArea-output:has-text('MLflow sweep run:')")
    text = page.inner_text(".jp-Notebook")
    assert "Traceback" not in text and "PromptFileError" not in text
    summary = re.search(r"(\d+) takes, ([^;]*); spent", text)
    assert summary is not None, text[-2000:]
    assert summary.group(1) == "8"  # 2 shots x 2 variants x seeds 1, 2 on previz
    assert not re.search(r"failed|blocked|error|uncertain", summary.group(2)), summary.group(0)


def test_cut_notebook_completes_under_run_all(lab: Lab, page: Any) -> None:
    lab.open(page, "05_cut.ipynb")
    page.wait_for_selector("h3:has-text('Cut of mini')")
    page.wait_for_selector(".widget-button:has-text('Render cut')")
    assert "Traceback" not in page.inner_text(".jp-Notebook")


def test_compare_by_version_with_intervals_and_run_links(lab: Lab, page: Any) -> None:
    from takelab.review.verdicts import record_verdict

    home = Home(lab.home)
    takes = journal(lab).takes(project="mini")
    rejections = {
        "previz": [["static"], ["off-prompt"]],
        "priced": [["blurry", "flicker"], ["warped"]],
    }
    for i, take in enumerate(takes[:12]):
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
    assert "params.version" in urllib.parse.unquote(link)
    table = page.inner_text("table.takelab-table >> nth=0")
    assert "accept rate (95% interval)" in table and "Cost per accepted clip (USD)" in table
    page.wait_for_selector(".takelab-difference:has-text('Difference in accept rate')")
    top(page, "table.takelab-table")
    shot(page, "compare")


def test_mlflow_ui_lists_take_runs_and_shows_the_preview(
    store: Store, page: Any, tmp_path: Path
) -> None:
    from takelab.home import Home
    from takelab.tracking.tracker import Tracker

    exp_id = Tracker(Home(store.home)).experiment_id("mini")
    port = free_port()
    log = tmp_path / "mlflow.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(BIN / "mlflow"),
                "server",
                "--backend-store-uri",
                f"sqlite:///{store.home / 'mlflow.db'}",
                "--default-artifact-root",
                str(store.home / "mlartifacts"),
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
        page.locator("a", has_text=WALK_V1_S1).first.wait_for()
        names = {t.strip() for t in page.locator("a").all_inner_texts()}
        assert len({n for n in names if TAKE_RUN.fullmatch(n)}) >= 4, names
        close = page.locator("button[aria-label='Close']")
        if close.count():
            close.first.click()
        shot(page, "mlflow-runs")

        page.locator("a", has_text=WALK_V1_S1).first.click()
        page.locator("[role=tab]:has-text('Artifacts'), :text-is('Artifacts')").first.click()
        page.locator("text=preview.gif").first.click()
        page.wait_for_function(
            "() => [...document.querySelectorAll(\"img[alt='preview.gif']\")]"
            ".some(i => i.complete && i.naturalWidth > 0)"
        )
        shot(page, "mlflow-preview")
    finally:
        stop(proc)
