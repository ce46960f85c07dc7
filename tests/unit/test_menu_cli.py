"""`hotline menu validate|show|schema` through the CLI: exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from hotline.cli.main import app
from ivr.menu.spec import menu_json_schema_text
from tests.unit.test_menu_model import SCHEMA_FILE, base, dump
from tests.unit.test_menu_validate import fake_project

runner = CliRunner()


def sets(tmp_path: Path, menu: dict[str, Any] | None = None) -> list[str]:
    """``--set`` options pointing at a fake project: voices "fast" (the configured one) and
    "slow" built, main.detailed 17.3 s in "slow"."""
    options = []
    for section, values in fake_project(tmp_path, menu).items():
        for key, value in values.items():
            options += ["--set", f"{section}.{key}={value}"]
    return options


def test_validate_a_valid_menu_exits_0(tmp_path: Path) -> None:
    result = runner.invoke(app, [*sets(tmp_path), "menu", "validate"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"menu: {tmp_path / 'menu.yaml'} is valid: 6 nodes, 2 menu levels (limit 4), "
        "voice rhvoice-fast\n"
    )


def test_validate_too_long_in_one_voice_exits_1_with_node_rule_and_value(tmp_path: Path) -> None:
    result = runner.invoke(app, [*sets(tmp_path), "menu", "validate", "--voice", "slow"])
    assert result.exit_code == 1
    assert (
        'node "main": rule max_level_speech_seconds: 17.3 s of speech in the detailed prompt '
        "main.detailed (limit 15 s, voice rhvoice-slow)"
    ) in result.output
    assert f"{tmp_path / 'menu.yaml'}: 1 problem" in result.output


def test_validate_all_voices(tmp_path: Path) -> None:
    options = sets(tmp_path)
    result = runner.invoke(app, [*options, "menu", "validate", "--all-voices"])
    assert result.exit_code == 1
    assert "voice rhvoice-slow" in result.output and "rhvoice-fast" not in result.output
    relaxed = ["--set", "ivr.max_level_speech_seconds=20"]
    result = runner.invoke(app, [*options, *relaxed, "menu", "validate", "--all-voices"])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("voices rhvoice-fast, rhvoice-slow\n")


def test_validate_all_voices_without_a_build_exits_1(tmp_path: Path) -> None:
    options = [*sets(tmp_path), "--set", f"speech.sounds_dir={tmp_path / 'none'}"]
    result = runner.invoke(app, [*options, "menu", "validate", "--all-voices"])
    assert result.exit_code == 1
    assert "no voices of backend rhvoice are built" in result.output
    assert "hotline prompts build" in result.output
    result = runner.invoke(app, [*options, "menu", "validate"])
    assert result.exit_code == 1
    assert "rule not_built" in result.output and "hotline prompts build" in result.output


def test_validate_a_given_file_with_errors(tmp_path: Path) -> None:
    options = sets(tmp_path)
    broken = base()
    broken["nodes"]["main"]["options"]["12"] = "bye"
    broken["nodes"]["readings"]["kind"] = "widget"
    path = tmp_path / "broken.yaml"
    path.write_text(dump(broken), encoding="utf-8")
    result = runner.invoke(app, [*options, "menu", "validate", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"menu: {path}: 2 problems",
        "  node \"main\": rule option_key: option key '12' is not one DTMF key (a digit 0-9, "
        "* or #)",
        "  node \"readings\": rule kind: unknown kind 'widget' (expected menu, info or action)",
    ]
    # Problems of the tree are reported once the file matches the schema.
    broken = base()
    broken["nodes"]["main"]["options"]["4"] = "infoo"
    broken["nodes"]["info"]["options"]["3"] = "main"
    path.write_text(dump(broken), encoding="utf-8")
    result = runner.invoke(app, [*options, "menu", "validate", str(path)])
    assert result.exit_code == 1
    assert f"menu: {path}: 2 problems" in result.output
    assert "node \"main\": rule missing_node: option 4 leads to node 'infoo'" in result.output
    assert 'node "info": rule cycle: option 3 leads back up: main → info → main' in result.output


def test_validate_reserved_key_and_unknown_prompt(tmp_path: Path) -> None:
    data = base()
    data["nodes"]["main"]["options"]["0"] = data["nodes"]["main"]["options"].pop("3")
    data["nodes"]["info"]["prompt"]["short"] = "info.menuu"
    result = runner.invoke(app, [*sets(tmp_path, data), "menu", "validate"])
    assert result.exit_code == 1
    assert (
        "node \"main\": rule reserved_key: option on key '0' is reserved for the operator"
    ) in result.output
    assert (
        f'node "info": rule unknown_prompt: menu {tmp_path / "menu.yaml"} node "info" names '
        "unknown prompt 'info.menuu'"
    ) in result.output


def test_validate_a_missing_file_exits_1(tmp_path: Path) -> None:
    absent = tmp_path / "absent.yaml"
    result = runner.invoke(app, [*sets(tmp_path), "menu", "validate", str(absent)])
    assert result.exit_code == 1
    assert f"cannot read {absent}" in result.output


def test_show_prints_the_tree_with_durations_per_voice(tmp_path: Path) -> None:
    result = runner.invoke(app, [*sets(tmp_path), "menu", "show"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("test (")
    assert "rhvoice-fast, rhvoice-slow" in lines[0]
    assert "0 operator, * back, # main menu" in lines[0]
    text = result.output
    assert "main  menu, level 1" in text
    assert "detailed main.detailed: fast 9.5 s slow 17.3 s" in text
    assert "1 readings  action meter_readings, level 2" in text
    assert "2 info.operator  action operator (reason outage), level 3" in text
    assert "1 info.tariffs  info, then main, level 3" in text
    assert "short+detailed info.tariffs: fast 5.0 s slow 7.0 s" in text
    assert lines[-1] == "1 problem: run `hotline menu validate`"
    one = runner.invoke(app, [*sets(tmp_path / "x"), "menu", "show", "--voice", "fast"])
    assert one.exit_code == 0, one.output
    assert "slow" not in one.output and "problem" not in one.output
    assert one.output.splitlines()[-1] == "        short+detailed bye: fast 1.5 s"


def test_show_a_broken_menu_exits_1(tmp_path: Path) -> None:
    options = sets(tmp_path)
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\nname: x\nstart: main\nnodes: {main: {kind: menu}}\n")
    result = runner.invoke(app, [*options, "menu", "show", str(path)])
    assert result.exit_code == 1
    assert 'node "main": rule prompt_missing' in result.output


def test_schema_print_write_and_check(tmp_path: Path) -> None:
    printed = runner.invoke(app, ["menu", "schema"])
    assert printed.exit_code == 0
    assert json.loads(printed.output)["title"] == "hotline IVR menu"
    target = tmp_path / "schema.json"
    assert runner.invoke(app, ["menu", "schema", "-o", str(target)]).exit_code == 0
    assert target.read_text(encoding="utf-8") == menu_json_schema_text()
    ok = runner.invoke(app, ["menu", "schema", "--check", "-o", str(SCHEMA_FILE)])
    assert ok.exit_code == 0 and "is up to date" in ok.output
    target.write_text("{}\n", encoding="utf-8")
    stale = runner.invoke(app, ["menu", "schema", "--check", "-o", str(target)])
    assert stale.exit_code == 1
    assert "out of date" in stale.output and "hotline menu schema -o" in stale.output
