"""report.html in a real browser: headless Chromium renders it, without console errors;
the run report, the whack-a-mole experiment report and the overoptimization sweep report.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them). Without
them the test skips, unless ``RMH_REQUIRE_BROWSER=1`` (as in CI) makes that a failure.
The screenshot is kept in ``$RMH_TEST_ARTIFACTS`` (default: the test's temporary folder).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.gate import GatePolicy
from reports import build_report
from reports.rounds import build_experiment_report
from reports.sweep import build_sweep_report
from tests.harness.experiments.sweep.sweeps import make_hostile_sweep

# Flags for a closed network: no background requests, no first-run or update checks.
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--window-size=1280,2000",
]


def _browser() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    message = (
        "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
    )
    if os.environ.get("RMH_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture()
def browser(tmp_path):
    chromium, driver_path = _browser()
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _renders_inert_and_whole(browser, screenshot: Path) -> None:
    """What every report page must do in a browser: its hostile text ran no script and
    made no element, every plot loaded, the console has no error, the page was drawn."""
    from matplotlib.image import imread
    from selenium.webdriver.common.by import By

    # The hostile findings ran no script: nothing the payloads would have created exists.
    assert browser.execute_script("return document.scripts.length") == 0
    assert not browser.find_elements(By.CSS_SELECTOR, "svg, textarea, a, iframe")
    plots = browser.find_elements(By.CSS_SELECTOR, "img.plot")
    assert plots and all(
        browser.execute_script("return arguments[0].naturalWidth", img) > 0 for img in plots
    )
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors

    screenshot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(screenshot))
    pixels = imread(screenshot)[..., :3]
    assert pixels.shape[0] > 500 and pixels.shape[1] > 500
    assert float(np.std(pixels)) > 0.05, "the screenshot is blank"
    assert (pixels.mean(axis=2) < 0.5).mean() > 0.005, "no dark pixels: nothing was drawn"


def _artefacts(tmp_path: Path) -> Path:
    return Path(os.environ.get("RMH_TEST_ARTIFACTS", tmp_path))


def test_report_renders_in_headless_chromium(browser, hostile_run, tmp_path):
    from selenium.webdriver.common.by import By

    result = build_report(hostile_run, policy=GatePolicy(), out=tmp_path / "report")
    browser.get(result.paths["html"].resolve().as_uri())

    assert browser.title.startswith("rm-harness report: ")
    verdict = browser.find_element(By.ID, "verdict")
    assert verdict.get_attribute("data-status") == result.verdict.status
    assert f"Gate: {result.verdict.label}" in verdict.text
    assert browser.find_elements(By.CSS_SELECTOR, "tr.finding")
    _renders_inert_and_whole(browser, _artefacts(tmp_path) / "report.png")


@pytest.mark.slow  # the session's tiny experiment: 15-20 s
def test_experiment_report_renders_in_headless_chromium(browser, hostile_experiment, tmp_path):
    from selenium.webdriver.common.by import By

    report = build_experiment_report(hostile_experiment, out=tmp_path / "report")
    browser.get(report.paths["html"].resolve().as_uri())

    assert browser.title.startswith("rm-harness experiment: ")
    assert report.view.verdict is not None
    for v in report.view.verdict.verdicts:
        box = browser.find_element(By.ID, f"verdict-{v.arm}")
        assert box.get_attribute("data-outcome") == v.outcome
        assert f"{v.arm} against {v.control}: {v.outcome}" in box.text
    curves = browser.find_elements(By.CSS_SELECTOR, "figure img.plot")
    assert len(curves) == 7  # one figure per metric
    assert browser.find_elements(By.CSS_SELECTOR, "tr.round")
    new = browser.find_elements(By.CSS_SELECTOR, "tr.new-exploit")
    assert any("<script>alert(1)</script>" in row.text for row in new)  # shown as text
    _renders_inert_and_whole(browser, _artefacts(tmp_path) / "experiment-report.png")


def test_sweep_report_renders_in_headless_chromium(browser, tmp_path):
    from selenium.webdriver.common.by import By

    folder = make_hostile_sweep(tmp_path / "sweep")
    report = build_sweep_report(folder, out=tmp_path / "report")
    browser.get(report.paths["html"].resolve().as_uri())

    assert browser.title.startswith("rm-harness sweep: ")
    section = browser.find_element(By.ID, "sweep")
    fit = report.record.fit
    assert section.get_attribute("data-peak") == (fit.peak if fit else "no-fit")
    assert "upper bound" in browser.find_element(By.ID, "kl-note").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.curve")) == len(report.record.curves)
    assert browser.find_elements(By.CSS_SELECTOR, "tr.path")
    examples = browser.find_elements(By.CSS_SELECTOR, "tr.example")
    assert any("<script>alert(1)</script>" in row.text for row in examples)  # shown as text
    _renders_inert_and_whole(browser, _artefacts(tmp_path) / "sweep-report.png")
