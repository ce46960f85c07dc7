"""``hotline users`` and ``hotline audit`` through the real command: the same operations the
console runs, audited with the OS user."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.cli.main import app
from tests.cli_support import hermetic_store_url, run_hotline


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def add(url: str, name: str, role: str, password: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app,
        ["--set", f"store.url={url}", "users", "add", name, "--role", role, "--password-stdin"],
        input=password + "\n",
    )
    return result.exit_code, result.stdout, result.stderr


def test_add_list_role_disable_and_the_audit_trail(url: str) -> None:
    assert add(url, "vera", "admin", "correct horse battery")[0] == 0
    code, _out, err = add(url, "vera", "operator", "correct horse battery")
    assert code == 1 and "already exists" in err
    code, _out, err = add(url, "gleb", "operator", "short")
    assert code == 1 and "too short" in err
    assert add(url, "gleb", "operator", "another good one")[0] == 0
    assert run_hotline(url, "users", "role", "gleb", "supervisor")[0] == 0
    assert run_hotline(url, "users", "disable", "gleb")[0] == 0

    code, out, _err = run_hotline(url, "users", "list", "--json")
    listed = {u["name"]: (u["role"], u["disabled"]) for u in json.loads(out)}
    assert listed == {"vera": ("admin", False), "gleb": ("supervisor", True)}

    code, out, _err = run_hotline(url, "audit", "list", "--json")
    entries = json.loads(out)
    assert [e["action"] for e in entries] == ["user.disable", "user.role", "user.add", "user.add"]
    assert {e["channel"] for e in entries} == {"cli"}
    assert entries[1]["detail"] == {"role": "supervisor"}


def test_unknown_user_is_a_clear_error(url: str) -> None:
    code, _out, err = run_hotline(url, "users", "unlock", "nobody")
    assert code == 1 and "no user 'nobody'" in err
