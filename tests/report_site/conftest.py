"""Fixtures for the report site: small reports from real runs, and a real browser.

The browser is the system's Chromium driven through its chromedriver, both given
by path so that Selenium never looks for (or downloads) a driver of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from mmapspec.adapters.builtin_runs import BUILTIN_RUNS, ON_THE_REPORT_PAGE

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

# Debian's chromium and chromium-driver; elsewhere (a macOS runner's Chrome, say)
# the variables name a browser and its matching driver.
CHROMIUM = os.environ.get("MMAPSPEC_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MMAPSPEC_CHROMEDRIVER", "/usr/bin/chromedriver")
CLAUSES = ("map.size.*", "pagesize.*")
"""The clauses of the fixture runs: a few, so that the runs take seconds, from two
sections, and among them passes, expected failures with reasons, skips, messages."""


def missing_system_package(reason: str, package: str) -> None:
    """A system package a test needs is absent: a skip naming it locally, a failure in
    CI, whose own setup (.ci/install-system) must install everything the tests use."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, but CI must run this test: .ci/install-system installs {package}")
    pytest.skip(f"{reason} (Debian: apt-get install {package}; or run .ci/install-system)")


def mmapspec(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The ``mmapspec`` command in a fresh interpreter."""
    env = dict(os.environ)
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        [sys.executable, "-m", "mmapspec.commands.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


RUNS = {name: BUILTIN_RUNS[name] for name in ON_THE_REPORT_PAGE}
"""The runs the page shows, as the report site session makes them."""


@pytest.fixture(scope="session")
def report_paths(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """JSON reports of real runs of a few clauses against reference and stdlib."""
    out = tmp_path_factory.mktemp("reports")
    paths = []
    for name, args in RUNS.items():
        path = out / f"{name}.json"
        patterns = [a for pattern in CLAUSES for a in ("--clause", pattern)]
        proc = mmapspec("run", *args, *patterns, "-n", "0", "--json", str(path))
        assert path.exists(), f"mmapspec run {name} wrote no report:\n{proc.stdout}{proc.stderr}"
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def reports(report_paths: list[Path]) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in report_paths]


@pytest.fixture(scope="session")
def page_path(report_paths: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page of the fixture reports, written by ``mmapspec html``."""
    page = tmp_path_factory.mktemp("site") / "page.html"
    proc = mmapspec("html", *map(str, report_paths), "-o", str(page))
    assert proc.returncode == 0, proc.stderr
    return page


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """Headless Chromium through Selenium, with the browser's console log kept."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        missing_system_package(
            f"no Chromium at {CHROMIUM} or no chromedriver at {CHROMEDRIVER} "
            "(MMAPSPEC_CHROMIUM, MMAPSPEC_CHROMEDRIVER)",
            "chromium chromium-driver",
        )
    # Imported here: the page's other tests need no browser, and run where Selenium
    # is not installed (the Windows run under Wine).
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Selenium Manager ran: it may download a driver from the network")

    # Selenium Manager is what would go to the network for a driver; with the
    # driver's path given it must not run at all.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SeleniumManager, "binary_paths", refuse)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
