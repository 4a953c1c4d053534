"""The page of ``mmapspec html`` in a real browser (headless Chromium).

Reports come from real runs (conftest); what the page must show is computed from
those reports, never written down here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mmapspec.spec import catalogue
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

Report = dict[str, Any]


def console(driver: WebDriver) -> list[dict[str, Any]]:
    """The browser's console messages since the last call."""
    log: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return log


@pytest.fixture
def page(browser: WebDriver, page_path: Path) -> WebDriver:
    browser.set_window_size(1280, 1000)
    browser.get(page_path.as_uri())
    console(browser)  # only what this test's page logs counts
    browser.get(page_path.as_uri())
    return browser


def label(report: Report) -> str:
    return str(report["adapter"]["name"])


def displayed_rows(driver: WebDriver) -> list[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#matrix tr.clause")
    return [r.get_attribute("data-clause") or "" for r in rows if r.is_displayed()]


def test_page_logs_no_console_error(page: WebDriver) -> None:
    # Every message counts: a blocked resource or a violated Content-Security-Policy
    # is logged at SEVERE, a deprecation at WARNING.
    page.find_element(By.CSS_SELECTOR, "button.mark").click()
    assert console(page) == []


def test_every_clause_of_every_implementation_appears(
    page: WebDriver, reports: list[Report]
) -> None:
    for report in reports:
        for clause in report["clauses"]:
            cell = page.find_element(
                By.CSS_SELECTOR,
                f'#matrix tr[data-clause="{clause["id"]}"] td[data-impl="{label(report)}"]',
            )
            assert cell.is_displayed()
            assert cell.get_attribute("data-status") == clause["status"]
            assert clause["status"] in cell.text
    # In the document: one mark per quoting clause, one glyph per implementation.
    for clause in reports[0]["clauses"]:
        marks = page.find_elements(By.CSS_SELECTOR, f'button.mark[data-clause="{clause["id"]}"]')
        assert len(marks) == 1, clause["id"]
        assert marks[0].is_displayed()
        glyphs = marks[0].find_elements(By.CSS_SELECTOR, ".g")
        assert [g.get_attribute("class") for g in glyphs] == [
            f"g s-{next(c['status'] for c in r['clauses'] if c['id'] == clause['id'])}"
            for r in reports
        ]


def test_status_filter_shows_only_rows_with_a_checked_status(
    page: WebDriver, reports: list[Report]
) -> None:
    ids = [c["id"] for c in reports[0]["clauses"]]
    assert displayed_rows(page) == ids
    not_all_pass = [
        cid
        for cid in ids
        if any(next(c for c in r["clauses"] if c["id"] == cid)["status"] != "pass" for r in reports)
    ]
    assert 0 < len(not_all_pass) < len(ids), "the fixture runs must give passes and others"
    page.find_element(By.CSS_SELECTOR, 'input[name=status][value="pass"]').click()
    assert displayed_rows(page) == not_all_pass
    shown = page.find_element(By.ID, "shown").text
    assert shown == f"{len(not_all_pass)} of {len(ids)} clauses shown"
    page.find_element(By.CSS_SELECTOR, 'input[name=status][value="pass"]').click()
    assert displayed_rows(page) == ids


def test_section_filter_shows_only_that_section(page: WebDriver, reports: list[Report]) -> None:
    select = Select(page.find_element(By.ID, "section-filter"))
    sections = [o.get_attribute("value") for o in select.options if o.get_attribute("value")]
    # The report lists every section of the catalogue; the page, those where clauses ran.
    assert sections == [s["section"] for s in reports[0]["sections"] if s["counts"]]
    assert len(sections) > 1, "the fixture runs must span sections"
    for section in sections:
        select.select_by_value(section or "")
        expected = [c["id"] for c in reports[0]["clauses"] if c["section"] == section]
        assert displayed_rows(page) == expected
        headers = page.find_elements(By.CSS_SELECTOR, "#matrix tr.sec")
        assert [h.text.split()[0] for h in headers if h.is_displayed()] == [section]
    select.select_by_value("")
    assert len(displayed_rows(page)) == len(reports[0]["clauses"])


def test_click_on_a_mark_shows_the_clause_details(page: WebDriver, reports: list[Report]) -> None:
    # The record that says the most: a message, and a falsifying example if any has one.
    records = [(r, c) for r in reports for c in r["clauses"] if c["message"]]
    assert records, "the fixture runs must give a clause with a message"
    _, record = max(records, key=lambda rc: rc[1]["example"] is not None)
    clause_id = record["id"]
    dialog = page.find_element(By.ID, "detail")
    assert not dialog.is_displayed()
    mark = page.find_element(By.CSS_SELECTOR, f'#document button.mark[data-clause="{clause_id}"]')
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", mark)
    mark.click()
    WebDriverWait(page, 5).until(lambda d: dialog.is_displayed())
    text = dialog.text
    assert clause_id in text
    assert f"basis\n{record['basis']}" in text
    assert catalogue.fold(record["message"]) in catalogue.fold(text)
    if record["example"]:
        assert catalogue.fold(record["example"]) in catalogue.fold(text)
    for report in reports:
        rec = next(c for c in report["clauses"] if c["id"] == clause_id)
        assert f"{label(report)}: " in text and rec["status"] in text
        assert f"mmapspec run --adapter {report['adapter']['spec']}" in text
        assert f"--clause {clause_id}" in text
    if record["expectation"]:
        assert catalogue.fold(record["expectation"]["reason"]) in catalogue.fold(text)
    page.find_element(By.ID, "detail-close").click()
    assert not dialog.is_displayed()


def test_phone_width_scrolls_the_matrix_not_the_page(page: WebDriver, tmp_path: Path) -> None:
    page.set_window_size(390, 844)
    width = page.execute_script("return document.documentElement.clientWidth")
    assert page.execute_script("return document.documentElement.scrollWidth") <= width
    wrapper = page.find_element(By.CSS_SELECTOR, "#matrix-section .scroll")
    assert wrapper.value_of_css_property("overflow-x") == "auto"
    page.save_screenshot(str(tmp_path / "phone.png"))
    assert (tmp_path / "phone.png").stat().st_size > 0


def test_screenshot_and_load_time(
    page: WebDriver, page_path: Path, tmp_path: Path, record_property: Any
) -> None:
    """Records the page's size and its load time in this browser (measured, not judged)."""
    timing = page.execute_script(
        "const t = performance.getEntriesByType('navigation')[0];"
        "return {dom: t.domContentLoadedEventEnd, load: t.loadEventEnd};"
    )
    record_property("page_bytes", page_path.stat().st_size)
    record_property("load_ms", round(timing["load"], 1))
    shot = tmp_path / "page.png"
    assert page.save_screenshot(str(shot))
    record_property("screenshot", str(shot))
    print(f"page {page_path.stat().st_size} bytes, loaded in {timing['load']:.0f} ms; {shot}")
    assert timing["load"] > 0  # the page did finish loading
