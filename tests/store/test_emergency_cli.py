"""``hotline emergency`` through the real command, against a SQLite file; --text is rendered
by real espeak-ng + sox."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.settings import load_settings
from hotline.speech import audio
from hotline.speech.library import PromptLibrary

CATALOGUE = """\
version: 1
prompts:
  - id: ivr.emergency.default
    text: "Внимание! Из-за аварии возможны перебои."
"""
TEXT = "Авария на подстанции. Свет дадут к вечеру."


@pytest.fixture
def sets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    monkeypatch.setenv("USER", "tester")
    monkeypatch.delenv("LOGNAME", raising=False)
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "catalogue.yaml").write_text(CATALOGUE, encoding="utf-8")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield [
        *("--set", f"store.url=sqlite+aiosqlite:///{tmp_path / 'data' / 'hotline.db'}"),
        *("--set", "speech.backend=espeak"),
        *("--set", f"speech.cache_dir={tmp_path / 'cache'}"),
        *("--set", f"speech.sounds_dir={tmp_path / 'sounds'}"),
        *("--set", f"paths.prompts_dir={prompts}"),
    ]
    root.handlers[:], root.level = handlers, level


def hotline(sets: list[str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*sets, *args], env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def status(sets: list[str]) -> dict[str, object]:
    code, out, _ = hotline(sets, "emergency", "status", "--json", "--history", "10")
    assert code == 0
    data: dict[str, object] = json.loads(out)
    return data


def test_status_when_never_switched(sets: list[str]) -> None:
    code, out, _ = hotline(sets, "emergency", "status")
    assert (code, out) == (
        0,
        "emergency mode: OFF (never switched on)\n  operator answer target: 40 s\n",
    )


def test_on_with_text_then_off(sets: list[str], tmp_path: Path) -> None:
    code, out, err = hotline(sets, "emergency", "on", "--text", TEXT)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("emergency mode: ON since ") and lines[0].endswith("(by tester)")
    assert lines[1] == f"  message: text {TEXT!r}"
    assert lines[2].startswith(f"  sound:   {tmp_path / 'sounds' / 'espeak-anna' / 'speak'}/")
    assert lines[3] == "  operator answer target: 180 s"

    state = status(sets)
    assert state["active"] is True and state["text"] == TEXT and state["by"] == "tester"
    assert state["answer_target"] == 180
    sound = state["sound"]
    assert isinstance(sound, str) and audio.sound_exists(Path(sound))
    assert audio.duration(sound) > 1.0

    code, out, _ = hotline(sets, "emergency", "off", "--by", "alice")
    assert code == 0
    assert out.startswith("emergency mode: OFF since ") and "(by alice)" in out
    assert "operator answer target: 40 s" in out
    assert hotline(sets, "emergency", "off")[:2] == (0, "emergency mode is already off\n")

    state = status(sets)
    assert state["active"] is False and state["answer_target"] == 40
    history = state["history"]
    assert isinstance(history, list)
    assert [(h["active"], h["by"]) for h in history] == [(False, "alice"), (True, "tester")]

    code, out, _ = hotline(sets, "emergency", "status", "--history", "5")
    assert "│ off" in out and "│ on" in out and TEXT in out

    # Both switches are in the audit log, the second "off" (a no-op) is not.
    code, out, _ = hotline(sets, "audit", "list", "--json")
    entries = [(e["actor"], e["channel"], e["action"]) for e in json.loads(out)]
    assert entries == [("alice", "cli", "emergency.off"), ("tester", "cli", "emergency.on")]


def test_on_with_a_prompt(sets: list[str], tmp_path: Path) -> None:
    code, _, err = hotline(sets, "emergency", "on", "--prompt", "ivr.emergency.default")
    assert code == 1
    assert "not switched on" in err and "hotline prompts build" in err
    assert status(sets)["active"] is False

    settings = load_settings(
        overrides={
            "speech": {
                "backend": "espeak",
                "sounds_dir": str(tmp_path / "sounds"),
                "cache_dir": str(tmp_path / "cache"),
            },
            "paths": {"prompts_dir": str(tmp_path / "prompts")},
        },
        environ={},
    )
    asyncio.run(PromptLibrary(settings, fragments={}).build())  # the catalogue, no fragments

    code, out, err = hotline(sets, "emergency", "on", "-p", "ivr.emergency.default", "--by", "bob")
    assert code == 0, err
    assert "  message: prompt ivr.emergency.default" in out
    expected = tmp_path / "sounds" / "espeak-anna" / "ivr.emergency.default"
    assert f"  sound:   {expected}  " in out
    state = status(sets)
    assert (state["prompt_id"], state["sound"], state["by"]) == (
        "ivr.emergency.default",
        str(expected),
        "bob",
    )

    # The sound removed behind our back: status says so loudly.
    for path in audio.sound_paths(expected).values():
        path.unlink()
    code, out, _ = hotline(sets, "emergency", "status")
    assert "MISSING" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ((), 2, "give exactly one of --prompt ID and --text"),
        (("--prompt", "a", "--text", "b"), 2, "give exactly one"),
        (("--text", "   "), 2, "text is empty"),
        (("--prompt", "ivr.emergency.defualt"), 1, "did you mean 'ivr.emergency.default'"),
    ],
)
def test_on_refuses(sets: list[str], args: tuple[str, ...], code: int, message: str) -> None:
    got, _, err = hotline(sets, "emergency", "on", *args)
    assert got == code
    assert message in err
    assert status(sets)["active"] is False
