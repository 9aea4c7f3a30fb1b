"""The console's login through TestClient: token for a session cookie, CSRF on changes, logout, headers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from engine.api import create_app
from engine.daemon import Daemon

from .conftest import BASE, TOKEN


def test_login_session_csrf_and_logout(daemon: Daemon) -> None:
    with TestClient(create_app(daemon, token=TOKEN, manage_daemon=False)) as c:
        assert c.get("/session").json() == {"authRequired": True, "authenticated": False}
        assert c.get(f"{BASE}/jobs").status_code == 401
        assert c.post("/login", json={"token": "wrong"}).status_code == 401
        assert "idsync_session" not in c.cookies
        login = c.post("/login", json={"token": TOKEN})
        assert login.status_code == 200
        set_cookie = login.headers.get_list("set-cookie")
        session = next(h for h in set_cookie if h.startswith("idsync_session="))
        assert "HttpOnly" in session and "SameSite=strict" in session and TOKEN not in session
        csrf_cookie = next(h for h in set_cookie if h.startswith("idsync_csrf="))
        assert "HttpOnly" not in csrf_cookie  # the console's script reads it to send it back
        assert c.get("/session").json()["authenticated"] is True
        assert c.get(f"{BASE}/jobs").status_code == 200
        assert c.post(f"{BASE}/jobs/alpha/pause").status_code == 403
        csrf = c.cookies["idsync_csrf"]
        assert c.post(f"{BASE}/jobs/alpha/pause", headers={"X-CSRF-Token": "forged"}).status_code == 403
        assert c.post(f"{BASE}/jobs/alpha/pause", headers={"X-CSRF-Token": csrf}).status_code == 204
        other = {"X-CSRF-Token": csrf, "Origin": "http://evil.test"}
        assert c.post(f"{BASE}/jobs/alpha/start", headers=other).status_code == 403
        assert c.post("/logout", json={}).status_code == 200
        assert c.get(f"{BASE}/jobs").status_code == 401
        # the bearer token still works on its own, without any CSRF token
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert c.post(f"{BASE}/jobs/alpha/start", headers=bearer).status_code == 204


def test_without_a_token_cross_origin_changes_are_refused(daemon: Daemon) -> None:
    with TestClient(create_app(daemon, token=None, manage_daemon=False)) as c:
        assert c.get("/session").json() == {"authRequired": False, "authenticated": True}
        assert c.post(f"{BASE}/jobs/alpha/pause", headers={"Origin": "http://evil.test"}).status_code == 403
        assert c.post(f"{BASE}/jobs/alpha/pause", headers={"Origin": "http://testserver"}).status_code == 204
        assert c.get(f"{BASE}/jobs", headers={"Origin": "http://evil.test"}).status_code == 200


def test_the_page_has_its_security_headers(client: TestClient) -> None:
    page = client.get("/", headers={"Authorization": ""})
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text and "<style>" not in page.text and " style=" not in page.text
