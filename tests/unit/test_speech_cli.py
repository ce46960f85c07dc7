"""`hotline say` and `hotline prompts check` through the CLI (audio by real espeak-ng + sox)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.speech import audio

runner = CliRunner()


@pytest.mark.parametrize(
    ("kind", "value", "words"),
    [
        ("money", "1234.56", "одна тысяча двести тридцать четыре рубля пятьдесят шесть копеек"),
        ("money", "100,00", "сто рублей"),
        ("date", "2026-11-23", "двадцать третьего ноября"),
        ("time", "14:35", "четырнадцать часов тридцать пять минут"),
        ("number", "21", "двадцать один"),
        ("kwh", "12", "двенадцать киловатт-часов"),
        ("kwh", "12.5", "двенадцать целых пять десятых киловатт-часа"),
        ("digits", "012", "ноль один два"),
        ("reading", "1234", "один два, три четыре"),
        ("phone", "+79131234567", "плюс семь, девятьсот тринадцать"),
        ("account", "012345", "ноль один два, триста сорок пять"),
    ],
)
def test_say_text(kind: str, value: str, words: str) -> None:
    result = runner.invoke(app, ["say", kind, value, "--text"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(words)


def test_say_settings_and_options_apply() -> None:
    zero = runner.invoke(app, ["--set", "speech.say_zero_kopecks=true", "say", "money", "5"])
    assert zero.exit_code == 0
    with_kopecks = runner.invoke(
        app, ["--set", "speech.say_zero_kopecks=true", "say", "money", "5", "--text"]
    )
    assert with_kopecks.output.strip() == "пять рублей ноль копеек"
    year = runner.invoke(app, ["say", "date", "2026-11-23", "--with-year", "--text"])
    assert "две тысячи двадцать шестого года" in year.output
    negative = runner.invoke(app, ["say", "number", "--text", "--", "-5"])
    assert negative.output.strip() == "минус пять"


@pytest.mark.parametrize(
    ("kind", "value"),
    [("money", "12.345"), ("money", "abc"), ("date", "23.11.2026"), ("time", "25:00")],
)
def test_say_bad_value_exits_2(kind: str, value: str) -> None:
    result = runner.invoke(app, ["say", kind, value, "--text"])
    assert result.exit_code == 2
    assert f"bad {kind}" in result.output


def test_say_audio_without_a_build_is_synthesised(tmp_path: Path) -> None:
    sets = [
        *("--set", "speech.backend=espeak"),
        *("--set", f"speech.sounds_dir={tmp_path / 'sounds'}"),
        *("--set", f"speech.cache_dir={tmp_path / 'cache'}"),
    ]
    result = runner.invoke(app, [*sets, "say", "money", "1234.56"])
    assert result.exit_code == 0, result.output
    line = result.output.splitlines()[-1]
    path, seconds = line.split()[:2]
    assert path.startswith(str(tmp_path / "sounds" / "espeak-anna" / "speak"))
    assert "synthesised whole" in line and "hotline prompts build" in line
    assert float(seconds) == pytest.approx(audio.duration(path), abs=0.01)
    assert float(seconds) > 1.0


def test_prompts_check_fails_when_not_built(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--set", f"speech.sounds_dir={tmp_path}", "prompts", "check"])
    assert result.exit_code == 1
    assert "not built" in result.output and "hotline prompts build" in result.output
    assert "frag/num.0" in result.output
