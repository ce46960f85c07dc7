"""The phrase checker (R-054, R-055, R-060): forbidden phrases are errors, negative wording
warnings; run on the shipped catalogue and menu, by `hotline prompts check`, `hotline menu
validate` and `hotline scenario create`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.settings import IvrSettings, WordingSettings
from hotline.speech.catalogue import Catalogue
from hotline.speech.wording import Severity, check_prompts, check_text, errors, warnings
from ivr.menu.loader import load_menu
from ivr.menu.standard import menu_wording, validate_menu
from tests.unit.test_menu_cli import sets
from tests.unit.test_menu_model import CATALOGUE, DEFAULT_MENU, ROOT

runner = CliRunner()
WORDING = WordingSettings()


def shipped() -> Catalogue:
    return Catalogue.load(ROOT / "prompts", "Энергосбыт")


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Слушаю!", "Слушаю"),
        ("Здравствуйте, вас БЕСПОКОЯТ из Энергосбыта.", "Вас беспокоят"),
        ("Не могли бы вы назвать номер?", "Не могли бы Вы"),
        ("Можно ещё Вас побеспокоить?", "Можно еще Вас побеспокоить"),
        ("Извините за беспокойство.", "Извините за беспокойство"),
    ],
)
def test_forbidden_phrases_are_errors(text: str, phrase: str) -> None:
    found = check_text(text, "prompt x", WORDING)
    assert [(f.phrase, f.severity) for f in errors(found)] == [(phrase, Severity.ERROR)]
    assert f"prompt x: error: forbidden phrase «{phrase}»" in str(found[0])


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Такого пункта нет.", "Нет"),
        ("Задолженности по Вашему лицевому счёту нет.", "Нет"),
        ("Сервис временно недоступен.", "Недоступен"),
        ("К сожалению, все операторы заняты.", "К сожалению"),
        ("Вы обязаны оплатить долг.", "Вы обязаны"),
        ("Не удалось распознать ввод.", "Не удалось"),
    ],
)
def test_negative_wording_is_a_warning(text: str, phrase: str) -> None:
    found = check_text(text, "prompt x", WORDING)
    assert errors(found) == []
    assert phrase in [f.phrase for f in warnings(found)]


def test_whole_words_only_and_the_lists_are_settings() -> None:
    assert check_text("Нетто и брутто. Слушаются дела.", "x", WORDING) == []
    custom = WordingSettings(forbidden_phrases=("Нетто",), negative_words=())
    assert [f.phrase for f in check_text("Нетто и брутто.", "x", custom)] == ["Нетто"]
    assert check_text("Такого пункта нет.", "x", custom) == []


def test_the_shipped_catalogue_has_no_forbidden_or_negative_wording() -> None:
    assert check_prompts(shipped(), WORDING) == []


def test_every_system_goodbye_is_the_seeds_formula() -> None:
    catalogue = shipped()
    assert catalogue.require("ivr.goodbye", "test").text == (
        "Спасибо за звонок. Всего доброго. До свидания."
    )
    assert catalogue.require("campaign.thanks", "test").text.endswith(
        "Всего доброго. До свидания."
    )


def test_the_standard_menu_passes_the_phrase_checker() -> None:
    menu = load_menu(DEFAULT_MENU)
    assert menu_wording(menu, shipped(), WORDING) == []
    found = validate_menu(
        menu,
        IvrSettings(),
        catalogue=shipped(),
        durations=lambda _: 1.0,
        voice="any",
        wording=WORDING,
    )
    assert found == []


def bad_catalogue(tmp_path: Path, text: str) -> Path:
    """The test menu's catalogue (tests/unit/test_menu_model.py) with ``main.short`` saying
    ``text``, written over the fake project's."""
    path = tmp_path / "prompts" / "catalogue.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    old = '    text: "Показания — один. Информация — два."\n'
    path.write_text(CATALOGUE.replace(old, f'    text: "{text}"\n'), encoding="utf-8")
    return path


def test_menu_validate_refuses_a_forbidden_phrase_and_warns_on_negative_words(
    tmp_path: Path,
) -> None:
    options = sets(tmp_path)
    bad_catalogue(tmp_path, "Вас беспокоят. Показания — один.")
    result = runner.invoke(app, [*options, "menu", "validate"])
    assert result.exit_code == 1
    assert 'node "main": rule forbidden_phrase' in result.output
    assert "prompt main.short: error: forbidden phrase «Вас беспокоят»" in result.output
    bad_catalogue(tmp_path, "Показаний нет. Показания — один.")
    result = runner.invoke(app, [*options, "menu", "validate"])
    assert result.exit_code == 0, result.output
    assert "prompt main.short: warning: negative wording «Нет»" in result.output


def test_prompts_check_names_the_forbidden_phrase_and_the_prompt(tmp_path: Path) -> None:
    bad_catalogue(tmp_path, "Куда я попал? Показания — один.")
    result = runner.invoke(
        app,
        [
            *("--set", f"paths.prompts_dir={tmp_path / 'prompts'}"),
            *("--set", f"speech.sounds_dir={tmp_path / 'sounds'}"),
            *("prompts", "check"),
        ],
    )
    assert result.exit_code == 1
    assert "prompt main.short: error: forbidden phrase «Куда я попал»" in result.output
    assert "wording: 1 error(s), 0 warning(s)" in result.output


def scenario_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "scenario.yaml"
    scenario = {
        "kind": "debt",
        "steps": [{"prompt": "main.short"}, {"say": "money", "var": "amount", "key": True}],
        "operator_prompt": None,
        "goodbye_prompt": "bye",
        "email_subject": "Напоминание",
        "email_body": body,
    }
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("prompt", "body", "where", "phrase"),
    [
        (
            "Вас тревожат из Энергосбыта.",
            "Сумма: {amount}.",
            "scenario debt2 prompt main.short",
            "Вас тревожат",
        ),
        (
            "Показания — один.",
            "Извините за беспокойство. Сумма: {amount}.",
            "scenario debt2 e-mail body",
            "Извините за беспокойство",
        ),
    ],
)
def test_scenario_create_refuses_a_forbidden_phrase(
    tmp_path: Path, prompt: str, body: str, where: str, phrase: str
) -> None:
    bad_catalogue(tmp_path, prompt)
    result = runner.invoke(
        app,
        [
            *("--set", f"paths.prompts_dir={tmp_path / 'prompts'}"),
            *("scenario", "create", "debt2", "--file", str(scenario_file(tmp_path, body))),
        ],
    )
    assert result.exit_code == 1
    assert f"{where}: error: forbidden phrase «{phrase}»" in result.output
    assert "debt2 not stored" in result.output
