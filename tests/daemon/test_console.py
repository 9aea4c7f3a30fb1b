"""The console at ``/`` in headless Chromium (Playwright over the system Chromium) against a real ``idsync
serve`` with a token: login and logout, the session cookie, a link opened in another tab, each log filter, the
detail pane, each action, provision on demand, the mapping view, the expression tester, CSRF and the security
headers. Screenshots are kept in ``$IDSYNC_TEST_ARTIFACTS`` (else the test's temporary folder)."""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.peers import peer_missing

from .serve_helpers import TOKEN, USERS, Served, serve_env, write_job

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright: pip install -e '.[test]'")

JOB = "console-demo"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("console")
    write_job(folder, JOB, interval="PT40M")
    server = Served([str(folder)], serve_env(), folder)
    try:
        server.wait_ready()
        server.wait_for(lambda: server.client.get("/auditLogs/provisioning").json()["value"], what="a cycle")
        yield server
    finally:
        assert server.stop(signal.SIGTERM) == 0, server.output()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    if chromium is None:
        peer_missing("headless Chromium", "apt-get install chromium-headless-shell")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("IDSYNC_TEST_ARTIFACTS") or tmp_path) / "console"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _rows(page: Any, table: str) -> list[list[str]]:
    rows: list[list[str]] = page.eval_on_selector_all(
        f"#{table} tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    return rows


def _logged_in(page: Any, base: str) -> None:
    page.goto(base + "/")
    page.wait_for_selector("#login:not([hidden])")
    page.fill("#token", TOKEN)
    page.click("#login-button")
    page.wait_for_selector(f'#jobs tr[data-job="{JOB}"]')


def test_login_cookie_links_in_another_tab_and_logout(browser: Any, served: Served, artifacts: Path) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(served.base + "/")
    page.wait_for_selector("#login:not([hidden])")
    assert page.is_hidden("#console")
    page.fill("#token", "wrong-token")
    page.click("#login-button")
    page.wait_for_function("() => document.getElementById('error').textContent.includes('not valid')")
    page.fill("#token", TOKEN)
    page.click("#login-button")
    page.wait_for_selector(f'#jobs tr[data-job="{JOB}"]')
    page.screenshot(path=str(artifacts / "jobs.png"), full_page=True)
    row = _rows(page, "jobs")[0]
    assert row[0] == JOB and row[1] == "Active" and row[2] == "Active, every PT40M"
    assert "Succeeded" in row[3] and "ago)" in row[3]  # local time with a relative time
    assert row[4].endswith(("(in 40 min)", "(in 39 min)"))  # the next scheduled cycle
    cookies = {c["name"]: c for c in context.cookies()}
    session = cookies["idsync_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict" and TOKEN not in session["value"]
    assert page.evaluate("() => Object.keys(sessionStorage).length + Object.keys(localStorage).length") == 0

    # a link opened in another tab works without logging in again
    query = urlencode({"expression": 'Replace([preferredLanguage], "-", , , "_", ,  )',
                       "values": json.dumps({"preferredLanguage": "EN-US"})})  # fmt: skip
    other = context.new_page()
    other.goto(f"{served.base}/?{query}")
    other.wait_for_function("() => document.getElementById('result').textContent.length > 0")
    assert json.loads(other.inner_text("#result"))["evaluationResult"] == ["EN_US"]

    page.click("#logout")
    page.wait_for_selector("#login:not([hidden])")
    assert "idsync_session" not in {c["name"] for c in context.cookies()}
    # the old session id is dead on the server too, not only forgotten by this browser
    stale = httpx.get(f"{served.base}/servicePrincipals/local/synchronization/jobs",
                      cookies={"idsync_session": session["value"]})  # fmt: skip
    assert stale.status_code == 401
    context.close()


def test_log_filters_and_detail_pane(browser: Any, served: Served, artifacts: Path) -> None:
    page = browser.new_page()
    _logged_in(page, served.base)
    page.wait_for_selector("#logs tbody tr")
    everything = _rows(page, "logs")
    assert len(everything) >= len(USERS)

    def apply(**fields: str) -> list[list[str]]:
        for name, value in fields.items():
            if page.eval_on_selector(f"#f-{name}", "e => e.tagName") == "SELECT":
                page.select_option(f"#f-{name}", value)
            else:
                page.fill(f"#f-{name}", value)
        loads = page.get_attribute("#logs", "data-loads")
        page.click("#f-apply")
        page.wait_for_function(
            "before => document.getElementById('logs').dataset.loads !== before", arg=loads
        )
        return _rows(page, "logs")

    assert {r[2] for r in apply(action="create")} == {"create"}
    assert apply(action="delete") == []
    assert [r[3] for r in apply(action="", identity="User 2")] == ["User 2"]
    assert apply(identity="", status="failure") == []
    assert len(apply(status="success")) == len(everything)
    assert {r[1] for r in apply(status="", job=JOB)} == {JOB}
    assert apply(**{"from": "2999-01-01T00:00"}) == []
    assert len(apply(**{"from": "2000-01-01T00:00", "to": "2999-01-01T00:00"})) == len(everything)
    cycle = served.client.get("/auditLogs/provisioning").json()["value"][0]["cycleId"]
    assert len(apply(cycle=cycle)) >= 1 and apply(cycle="no-such-cycle") == []
    apply(cycle="")
    page.click("#logs tbody tr >> nth=0")
    page.wait_for_selector("#log-detail:not([hidden])")
    steps = page.inner_text("#log-detail-body")
    assert "import" in steps and "export" in steps.lower()
    page.screenshot(path=str(artifacts / "log.png"), full_page=True)
    page.close()


def test_actions_with_confirmation(browser: Any, served: Served, artifacts: Path) -> None:
    page = browser.new_page()
    _logged_in(page, served.base)
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)

    def state() -> str:
        return _rows(page, "jobs")[0][1]

    page.click(f'#jobs tr[data-job="{JOB}"] button[data-action="pause"]')
    page.wait_for_function("() => document.getElementById('notice').textContent.startsWith('Pause')")
    assert state() == "Paused"
    page.click(f'#jobs tr[data-job="{JOB}"] button[data-action="start"]')
    page.wait_for_function("() => document.getElementById('notice').textContent.startsWith('Start')")
    page.select_option(f'select[data-scope="{JOB}"]', "Watermark")
    page.click(f'#jobs tr[data-job="{JOB}"] button[data-action="restart"]')
    page.wait_for_function(
        "() => document.getElementById('notice').textContent.startsWith('Restart (Watermark)')"
    )
    page.click(f'#jobs tr[data-job="{JOB}"] button[data-action="validate-credentials"]')
    page.wait_for_function("() => document.getElementById('notice').textContent.startsWith('Validate')")
    assert asked == [f"Pause job {JOB}?", f"Start job {JOB}?", f"Restart (Watermark) job {JOB}?",
                     f"Validate credentials job {JOB}?"]  # fmt: skip

    page.fill("#pod-id", "u3")
    page.click("#pod-run")
    page.wait_for_selector("#pod-outcome")
    assert page.inner_text("#pod-outcome").startswith(("Success", "Skipped"))
    assert page.eval_on_selector_all("#pod-result li", "items => items.length") >= 2

    page.click(f'#jobs tr[data-job="{JOB}"] button[data-action="mappings"]')
    page.wait_for_selector("#mapping-view:not([hidden]) table.mapping")
    mapped = page.eval_on_selector_all(
        "table.mapping tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    assert ["userName", "←", "[userPrincipalName]", "Always", "1"] in mapped
    page.screenshot(path=str(artifacts / "actions.png"), full_page=True)

    # declining the confirmation does nothing
    page.remove_listener("dialog", answer)
    page.on("dialog", lambda dialog: dialog.dismiss())
    page.click(f'#jobs tr[data-job="{JOB}"] button[data-action="pause"]')
    page.wait_for_timeout(300)
    assert (
        served.client.get(f"/servicePrincipals/local/synchronization/jobs/{JOB}").json()["status"]["code"]
        != "Paused"
    )
    page.close()


def test_csrf_and_security_headers(served: Served) -> None:
    page = httpx.get(served.base + "/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text  # no inline script: the CSP forbids it
    with httpx.Client(base_url=served.base) as client:
        login = client.post("/login", json={"token": TOKEN})
        assert login.status_code == 200 and TOKEN not in login.text
        job = f"/servicePrincipals/local/synchronization/jobs/{JOB}"
        assert client.get(job).status_code == 200  # the cookie reads
        refused = client.post(f"{job}/pause")
        assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
        csrf = client.cookies["idsync_csrf"]
        foreign = client.post(f"{job}/pause", headers={"X-CSRF-Token": csrf, "Origin": "http://evil.test"})
        assert foreign.status_code == 403
        assert client.post(f"{job}/start", headers={"X-CSRF-Token": csrf}).status_code == 204


def test_expression_tester_loads_a_source_object_and_draws_the_caret(
    browser: Any, served: Served, artifacts: Path
) -> None:
    page = browser.new_page()
    _logged_in(page, served.base)
    page.fill("#src-id", "u2")
    page.click("#src-load")
    page.wait_for_function("() => document.getElementById('values').value.includes('user2@')")
    assert json.loads(page.input_value("#values"))["displayName"] == "User 2"
    page.fill("#expr", 'Join("-", [mailNickname], [displayName])')
    page.click("#test")
    page.wait_for_function("() => document.getElementById('result').textContent.includes('User 2')")
    assert json.loads(page.inner_text("#result"))["evaluationResult"] == ["user2-User 2"]

    expression = 'Join(",", [a]'
    page.fill("#expr", expression)
    page.click("#test")
    page.wait_for_function("() => document.getElementById('result').textContent.includes('^')")
    lines = page.inner_text("#result").splitlines()
    assert lines[0] == "ExpressionParsingFailed" and lines[-2] == expression
    column = int(lines[1].split("column ")[1].split(":")[0])
    assert lines[-1] == " " * (column - 1) + "^"  # under the column the message names
    page.screenshot(path=str(artifacts / "tester.png"), full_page=True)

    page.fill("#src-id", "nobody")
    page.click("#src-load")
    page.wait_for_function("() => document.getElementById('error').textContent.length > 0")
    assert "nobody" in page.inner_text("#error")
    page.close()
