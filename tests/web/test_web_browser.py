"""End to end in a real headless Chromium (Playwright, the system browser): a bench scientist's
clicks give the same numbers as the command line."""

from __future__ import annotations

import json

import pytest

from p53lab.cli import main

pytestmark = pytest.mark.slow


def test_dose_response_upload_shows_the_cli_ed50(page, shared_reference, capsys):
    f = shared_reference / "dose_response" / "ryegrass.csv"
    argv = ["fit", "dose-response", str(f), "--dose-col", "conc", "--response-col", "rootl"]
    assert main([*argv, "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    page.goto("/analyse/dose-response")
    page.set_input_files("input[name=file]", str(f))
    page.fill("input[name=dose_col]", "conc")
    page.fill("input[name=response_col]", "rootl")
    page.click("#analysis-form button[type=submit]")
    cell = page.locator("td[data-key='ED50']")
    cell.wait_for()
    shown = float(cell.inner_text().split()[0])  # "3.05796 (95 % CI ...)", 6 significant digits
    assert shown == pytest.approx(cli["ed"]["50"]["estimate"], rel=5e-6)
    assert shown == pytest.approx(3.05795, rel=1e-5)  # drc LL.4 (reference/README.md)
    assert json.loads(page.inner_text("#result-json")) == cli  # the whole CLI JSON, unchanged
    fig = page.locator("#result-figure")
    assert fig.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "ryegrass.csv" in page.inner_text("main")


def test_western_simulation_shows_its_plot(page):
    page.goto("/studies")
    page.select_option("#western-form select[name=compounds]", ["KT-253"])
    page.fill("#western-form input[name=times_h]", "24")
    page.click("#western-form button[type=submit]")
    page.wait_for_url("**/jobs/*")
    img = page.locator("img.job-figure")
    img.wait_for(timeout=120_000)  # the page polls the job and reloads when it is done
    assert page.inner_text("#job-status") == "done"
    page.wait_for_function("() => document.querySelector('img.job-figure').naturalWidth > 0")
    assert "western_blot.csv" in page.inner_text(".files")


def test_simulate_draws_an_interactive_plot(page):
    page.goto("/simulate?compound=KT-253&cell_line=RS4%3B11&conc_nM=10&hours=24")
    lines = page.locator("#sim-plot svg polyline")
    lines.first.wait_for()
    assert lines.count() == 4  # p53, MDM2, MDMX, p21 shown by default
    page.locator("#sim-plot .plot-controls input:checked").first.uncheck()
    assert lines.count() == 3
    box = page.locator("#sim-plot svg").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
    assert page.inner_text("#sim-plot .readout").startswith("time (h) =")


def test_advisor_form_shows_ranked_causes(page):
    advisor = pytest.importorskip("p53lab.advisor")
    observations = {
        "compound": "nutlin-3a",
        "cell_line": "SJSA-1",
        "tp53_status": "wild_type",
        "observations": {"p53_fold": 4.0, "mdm2_fold": 3.0, "p21_fold": 1.1, "hours": 24.0},
    }
    expected = advisor.advise(observations)
    page.goto("/advisor")
    page.fill("input[name=compound]", "nutlin-3a")
    page.fill("input[name=cell_line]", "SJSA-1")
    page.select_option("select[name=tp53_status]", "wild_type")
    for k, v in observations["observations"].items():
        page.fill(f"input[name={k}]", str(v))
    page.click("#advisor-form button[type=submit]")
    page.locator("#ranked").wait_for()
    names = page.locator("#ranked .cause-name").all_inner_texts()
    assert names == [str(x["cause"]) for x in expected]
    scores = [float(s.split()[1]) for s in page.locator("#ranked .score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
