"""The console's log-in, roles, CSRF protection and audit trail, through HTTP."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from hotline.settings import Settings
from hotline.store.audit import AuditLog, AuditRecord
from hotline.store.db import Database
from hotline.store.emergency import EmergencyStore
from tests.web.conftest import PASSWORD, hidden, log_in


def audit_entries(settings: Settings) -> list[AuditRecord]:
    async def read() -> list[AuditRecord]:
        async with Database.from_settings(settings) as db:
            return await AuditLog(db).entries()

    return asyncio.run(read())


def test_pages_need_a_session(client: TestClient) -> None:
    response = client.get("/admin/users", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/users"
    htmx = client.get("/", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/login"


def test_log_in_sets_a_strict_http_only_cookie_and_logs_the_source(
    client: TestClient, settings: Settings
) -> None:
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"name": "anna", "password": PASSWORD, "csrf_token": hidden(form.text, "csrf_token")},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "hotline_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    home = client.get("/")
    assert "Здравствуйте, anna" in home.text
    assert home.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in home.headers["Content-Security-Policy"]
    assert audit_entries(settings)[0].action == "login"
    assert audit_entries(settings)[0].channel == "web"
    assert audit_entries(settings)[0].source == "testclient"


def test_log_in_form_needs_its_csrf_cookie(client: TestClient) -> None:
    response = client.post(
        "/login", data={"name": "anna", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient) -> None:
    for name, password in (("anna", "wrong password"), ("nobody", PASSWORD)):
        form = client.get("/login")
        response = client.post(
            "/login",
            data={
                "name": name,
                "password": password,
                "csrf_token": hidden(form.text, "csrf_token"),
            },
        )
        assert response.status_code == 401
        assert "Неверное имя пользователя или пароль" in response.text


def test_lockout_after_repeated_failures(client: TestClient, settings: Settings) -> None:
    for _ in range(3):  # web.max_failed_logins = 3 in these tests
        form = client.get("/login")
        last = client.post(
            "/login",
            data={
                "name": "anna",
                "password": "nope nope",
                "csrf_token": hidden(form.text, "csrf_token"),
            },
        )
    assert "заблокирован" in last.text
    form = client.get("/login")
    right = client.post(
        "/login",
        data={"name": "anna", "password": PASSWORD, "csrf_token": hidden(form.text, "csrf_token")},
    )
    assert right.status_code == 401 and "заблокирован" in right.text
    assert any(e.action == "login.refused" for e in audit_entries(settings))


def test_no_open_redirect_after_log_in(client: TestClient) -> None:
    form = client.get("/login?next=//evil.example/")
    assert hidden(form.text, "next") == "/"


def test_state_changes_need_the_session_csrf_token(client: TestClient) -> None:
    csrf = log_in(client, "vera")
    new_user = {"name": "gleb", "role": "operator", "password": "another good one"}
    assert client.post("/admin/users", data=new_user).status_code == 403
    assert (
        client.post("/admin/users", data={**new_user, "csrf_token": "forged"}).status_code == 403
    )
    # htmx sends the token as a header instead of a form field.
    assert (
        client.post("/admin/users", data=new_user, headers={"X-CSRF-Token": csrf}).status_code
        == 200
    )
    assert 'data-user="gleb"' in client.get("/admin/users").text


def test_roles_limit_what_a_user_sees_and_does(client: TestClient) -> None:
    csrf = log_in(client, "anna")  # operator
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    assert "Пользователи" not in client.get("/").text
    refused = client.post("/emergency", data={"state": "off", "csrf_token": csrf})
    assert refused.status_code == 403


def test_admin_manages_users_and_every_change_is_audited(
    client: TestClient, settings: Settings
) -> None:
    csrf = log_in(client, "vera")
    weak = client.post(
        "/admin/users",
        data={"name": "gleb", "role": "operator", "password": "short", "csrf_token": csrf},
    )
    assert weak.status_code == 422 and "too short" in weak.text
    client.post(
        "/admin/users",
        data={
            "name": "gleb",
            "role": "operator",
            "password": "another good one",
            "csrf_token": csrf,
        },
    )
    client.post("/admin/users/gleb/disable", data={"csrf_token": csrf})
    yourself = client.post("/admin/users/vera/disable", data={"csrf_token": csrf})
    assert yourself.status_code == 422
    actions = [(e.actor, e.action, e.target) for e in audit_entries(settings)[:2]]
    assert actions == [("vera", "user.disable", "gleb"), ("vera", "user.add", "gleb")]
    audit_page = client.get("/admin/audit?actor=vera")
    assert "user.disable" in audit_page.text and "setup" not in audit_page.text


def test_log_out_ends_the_session(client: TestClient, settings: Settings) -> None:
    csrf = log_in(client, "boris")
    cookie = client.cookies.get("hotline_session")
    assert (
        client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code
        == 303
    )
    # The old cookie no longer works even if someone kept a copy.
    client.cookies.set("hotline_session", cookie or "")
    assert client.get("/", follow_redirects=False).status_code == 303
    assert audit_entries(settings)[0].action == "logout"


def test_emergency_off_is_audited_only_when_it_was_on(
    client: TestClient, settings: Settings
) -> None:
    """The same rule as ``hotline emergency off``: a no-op "off" is not an audited switch."""

    async def switch_on() -> None:
        async with Database.from_settings(settings) as db:
            await EmergencyStore(db).switch_on(text="Авария.", sound="/s/a", by="boris")

    async def offs() -> list[tuple[str, str, str | None]]:
        async with Database.from_settings(settings) as db:
            entries = await AuditLog(db).entries(action="emergency.off")
            return [(e.actor, e.channel, e.source) for e in entries]

    csrf = log_in(client, "boris")
    asyncio.run(switch_on())
    for _ in range(2):
        off = client.post("/emergency", data={"state": "off", "csrf_token": csrf})
        assert off.status_code == 200 and "Выключен" in off.text
    assert asyncio.run(offs()) == [("boris", "web", "testclient")]
