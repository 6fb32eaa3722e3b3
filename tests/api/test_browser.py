"""The web page in a real browser: Debian's headless Chromium driven by Playwright against
`osteodx serve` on localhost. Screenshots are kept in test-artifacts/ for review."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("OSTEODX_REQUIRE_BROWSER") != "1",
    reason="Debian chromium is not installed",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "OSTEODX_DB": f"sqlite:///{tmp_path_factory.mktemp('db')}/lib.sqlite"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "osteodx.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/api/v1/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("osteodx serve did not start: " + proc.stderr.read().decode()[-500:])
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def page(server: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        yield context.new_page()
        browser.close()


def test_founding_case_in_the_browser(page, server: str, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(server + "/")
    page.get_by_label("Case id").fill("founding-case")
    page.get_by_label("Age").fill("30")
    page.get_by_label("Sex").select_option("male")
    # HPO autocomplete: type, pick the suggestion through the shipped script, add it.
    page.get_by_label("Search the HPO").fill("patchy osteoscl")
    page.wait_for_selector("#hpo-options option", state="attached", timeout=5000)
    option = page.locator("#hpo-options option").first.get_attribute("value") or ""
    assert option.startswith("HP:0005686")
    page.get_by_label("Search the HPO").fill(option)
    page.get_by_role("button", name="Add as present").click()
    present = page.get_by_label("Present (one HPO id or exact label per line)")
    present.fill(present.input_value() + "\nLow back pain\nLower limb pain\nHP:4000189")
    page.get_by_label("Explicitly absent (one per line)").fill("Osteolysis\nHypercalcemia\nAnemia")
    page.screenshot(path=str(ARTIFACTS / "form-filled.png"), full_page=True)
    page.get_by_role("button", name="Assess").click()
    page.wait_for_selector("text=Differential diagnosis")
    summaries = page.locator("details > summary").all_inner_texts()
    assert any("neuroendocrine" in s for s in summaries[:2]), summaries[:3]
    # Open a reason: the second diagnosis is collapsed until clicked.
    second = page.locator("details").nth(1)
    assert second.get_attribute("open") is None
    second.locator("summary").click()
    assert second.get_attribute("open") is not None
    assert second.locator("td").count() > 0
    page.screenshot(path=str(ARTIFACTS / "result.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export PDF").click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_error_is_shown_next_to_the_field(page, server: str) -> None:
    page.goto(server + "/")
    page.get_by_label("Age").fill("300")
    page.get_by_label("Present (one HPO id or exact label per line)").fill("Patchy osteosclerosis")
    page.get_by_role("button", name="Assess").click()
    error = page.locator("#age-error")
    assert "impossible" in error.inner_text()
    assert page.get_by_label("Age").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Present (one HPO id or exact label per line)").input_value() == (
        "Patchy osteosclerosis"
    )
    page.screenshot(path=str(ARTIFACTS / "form-error.png"), full_page=True)


def test_pathology_and_bone_sections_by_keyboard(page, server: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(server + "/")
    page.get_by_label("Case id").fill("founding-case-biopsy")
    page.get_by_label("Age").fill("30")
    page.get_by_label("Present (one HPO id or exact label per line)").fill(
        "Patchy osteosclerosis\nLow back pain\nHP:4000189"
    )
    # The optional sections are closed; open them from the keyboard.
    ki67 = page.get_by_label("Ki-67 index (%)")
    assert not ki67.is_visible()
    page.locator("#pathology-section > summary").focus()
    page.keyboard.press("Enter")
    assert ki67.is_visible()
    ki67.fill("10")
    page.get_by_label("Synaptophysin").select_option("pos")
    page.get_by_label("Chromogranin A").focus()
    page.keyboard.press("ArrowDown")  # 'not given' -> 'positive'
    assert page.get_by_label("Chromogranin A").input_value() == "pos"
    page.locator("#bone-section > summary").focus()
    page.keyboard.press("Enter")
    page.get_by_label("SSTR uptake (Krenning score)").select_option("3")
    page.screenshot(path=str(ARTIFACTS / "form-pathology.png"), full_page=True)
    page.get_by_role("button", name="Assess").click()
    page.wait_for_selector("text=Differential diagnosis")
    assert page.get_by_text("NET G2").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "result-pathology.png"), full_page=True)


def test_section_error_is_shown_next_to_the_field(page, server: str) -> None:
    page.goto(server + "/")
    page.get_by_label("Present (one HPO id or exact label per line)").fill("Patchy osteosclerosis")
    page.locator("#pathology-section > summary").click()
    page.get_by_label("Ki-67 index (%)").fill("150")
    page.get_by_label("Synaptophysin").select_option("pos")
    page.get_by_role("button", name="Assess").click()
    error = page.locator("#path_ki67-error")
    assert "100" in error.inner_text()
    ki67 = page.get_by_label("Ki-67 index (%)")
    assert ki67.is_visible() and ki67.input_value() == "150"
    assert ki67.get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Synaptophysin").input_value() == "pos"
    page.screenshot(path=str(ARTIFACTS / "form-pathology-error.png"), full_page=True)
