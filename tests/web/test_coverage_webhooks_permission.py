"""The webhooks page has a permission of its own (issue 22 item 4's leftover), granted to
supervisors and admins by the role model, not borrowed from «все звонки»: an operator is
refused the page and the retry, and a supervisor without it would be too."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hotline.access import users
from hotline.access.users import Permission, Role, allowed
from hotline.core.vocabulary import label
from hotline.settings import Settings
from hotline.web.views import webhooks
from tests.web.conftest import log_in


def test_the_role_model_grants_it_to_supervisors_and_admins() -> None:
    assert webhooks.PERMISSION is Permission.WEBHOOKS
    assert [r for r in Role if allowed(r, Permission.WEBHOOKS)] == [Role.SUPERVISOR, Role.ADMIN]
    assert label("Permission", Permission.WEBHOOKS) == "уведомления внешним системам"


def test_an_operator_is_refused(client: TestClient, settings: Settings) -> None:
    csrf = log_in(client, "anna")  # an operator
    assert 'href="/webhooks"' not in client.get("/").text
    assert client.get("/webhooks").status_code == 403
    retry = client.post("/webhooks/1/retry", data={"csrf_token": csrf})
    assert retry.status_code == 403


def test_the_page_asks_for_its_own_permission(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_in(client, "boris")  # a supervisor
    assert client.get("/webhooks").status_code == 200
    grants = dict(users._GRANTS)
    grants[Role.SUPERVISOR] = grants[Role.SUPERVISOR] - {Permission.WEBHOOKS}
    monkeypatch.setattr(users, "_GRANTS", grants)
    assert allowed(Role.SUPERVISOR, Permission.ALL_CALLS)
    assert client.get("/webhooks").status_code == 403
    assert 'href="/webhooks"' not in client.get("/").text
