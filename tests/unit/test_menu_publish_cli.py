"""`hotline menu publish|history|rollback` through the CLI against a SQLite file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from hotline.cli.main import app
from tests.unit.test_menu_cli import sets
from tests.unit.test_menu_model import base, dump

runner = CliRunner()


def options(tmp_path: Path, menu: dict[str, Any] | None = None) -> list[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'hotline.db'}"
    return [*sets(tmp_path, menu), "--set", f"store.url={url}"]


def hotline(opts: list[str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*opts, "menu", *args], env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def swapped() -> dict[str, Any]:
    data = base()
    data["nodes"]["main"]["options"] = {"1": "readings", "2": "bye", "3": "info"}
    return data


def test_publish_history_and_rollback(tmp_path: Path) -> None:
    opts = options(tmp_path)
    code, out = hotline(opts, "publish", "--author", "anna")
    assert code == 0, out
    assert "as version 1: first version: 6 nodes" in out

    code, out = hotline(opts, "publish", "--author", "anna")
    assert code == 1
    assert "not published: this menu is the active version 1 already" in out

    second = tmp_path / "second.yaml"
    second.write_text(dump(swapped()), encoding="utf-8")
    code, out = hotline(opts, "publish", str(second), "--author", "boris")
    assert code == 0, out
    assert "as version 2: main: option 2 info -> bye; main: option 3 bye -> info" in out

    code, out = hotline(opts, "rollback", "1", "--author", "vera")
    assert code == 0, out
    assert "version 1 is active again as version 3" in out

    code, out = hotline(opts, "history", "--limit", "2")
    assert code == 0, out
    assert "3 (active)" in out and "vera" in out and "rollback to version 1" in out
    assert "boris" in out and "anna" not in out

    code, out = hotline(opts, "rollback", "7")
    assert code == 1
    assert "no menu version 7" in out


def test_history_when_nothing_was_published(tmp_path: Path) -> None:
    code, out = hotline(options(tmp_path), "history")
    assert code == 0
    assert "no version published" in out


def test_publish_refuses_a_menu_that_breaks_a_rule(tmp_path: Path) -> None:
    data = base()
    data["nodes"]["main"]["options"]["0"] = data["nodes"]["main"]["options"].pop("3")
    opts = options(tmp_path, data)
    code, out = hotline(opts, "publish")
    assert code == 1
    assert "not published" in out
    assert "node \"main\": rule reserved_key: option on key '0' is reserved" in out
    code, out = hotline(opts, "history")
    assert "no version published" in out


def test_rollback_validates_the_old_version_again(tmp_path: Path) -> None:
    opts = options(tmp_path)
    assert hotline(opts, "publish")[0] == 0
    second = tmp_path / "second.yaml"
    second.write_text(dump(swapped()), encoding="utf-8")
    assert hotline(opts, "publish", str(second))[0] == 0
    # Since then the operator moved to key 3: version 1 offers bye there.
    stricter = [*opts, "--set", "ivr.operator_key=3"]
    code, out = hotline(stricter, "rollback", "1")
    assert code == 1
    assert "not rolled back" in out
    assert "node \"main\": rule reserved_key: option on key '3' is reserved" in out
    code, out = hotline(opts, "history")
    assert "2 (active)" in out
