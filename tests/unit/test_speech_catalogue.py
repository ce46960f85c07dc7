"""Prompt catalogue: loading, {company}, recordings, and every error naming its entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.speech.catalogue import Catalogue, CatalogueError, UnknownPrompt

COMPANY = "Энергосбыт Плюс"


def write(prompts_dir: Path, body: str) -> Path:
    prompts_dir.mkdir(parents=True, exist_ok=True)
    (prompts_dir / "catalogue.yaml").write_text(body, encoding="utf-8")
    return prompts_dir


def load(tmp_path: Path, body: str) -> Catalogue:
    return Catalogue.load(write(tmp_path / "prompts", body), COMPANY)


def error_of(tmp_path: Path, body: str) -> str:
    with pytest.raises(CatalogueError) as caught:
        load(tmp_path, body)
    return str(caught.value)


GOOD = """\
version: 1
prompts:
  - id: greeting
    text: "Здравствуйте! Вы позвонили в контактный центр {company}."
    note: "Said first"
  - id: menu.main
    text: "Показания — один. Оператор — ноль."
  - id: goodbye_2
    text: "До свидания! {{не поле}}"
"""


def test_loads_entries_in_order_and_substitutes_company(tmp_path: Path) -> None:
    catalogue = load(tmp_path, GOOD)
    assert catalogue.ids() == ["greeting", "menu.main", "goodbye_2"]
    greeting = catalogue.require("greeting", "test")
    assert greeting.text == f"Здравствуйте! Вы позвонили в контактный центр {COMPANY}."
    assert greeting.note == "Said first"
    assert greeting.source == "tts" and greeting.recorded is None
    assert catalogue.require("goodbye_2", "test").text == "До свидания! {не поле}"
    assert len(catalogue) == 3 and "menu.main" in catalogue


def test_recording_wins_and_orphans_are_listed(tmp_path: Path) -> None:
    prompts = write(tmp_path / "prompts", GOOD)
    (prompts / "recorded").mkdir()
    (prompts / "recorded" / "greeting.wav").write_bytes(b"RIFF")
    (prompts / "recorded" / "greting.wav").write_bytes(b"RIFF")
    catalogue = Catalogue.load(prompts, COMPANY)
    greeting = catalogue.require("greeting", "test")
    assert greeting.recorded == prompts / "recorded" / "greeting.wav"
    assert greeting.source == "recorded"
    assert catalogue.orphan_recordings() == [prompts / "recorded" / "greting.wav"]


def test_unknown_prompt_names_the_id_and_the_user(tmp_path: Path) -> None:
    catalogue = load(tmp_path, GOOD)
    with pytest.raises(UnknownPrompt) as caught:
        catalogue.require("greetng", 'menu menus/hotline.yaml node "main"')
    message = str(caught.value)
    assert "'greetng'" in message
    assert 'menu menus/hotline.yaml node "main"' in message
    assert "did you mean 'greeting'" in message
    assert caught.value.prompt_id == "greetng"
    assert caught.value.used_by == 'menu menus/hotline.yaml node "main"'
    with pytest.raises(UnknownPrompt, match='campaign scenario "debt"'):
        catalogue.require("debt.intro", 'campaign scenario "debt"')


def test_duplicate_id_names_both_entries(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        "version: 1\nprompts:\n"
        "  - {id: a, text: Раз}\n  - {id: b, text: Два}\n  - {id: a, text: Три}\n",
    )
    assert "prompt #3 (id 'a'): duplicate id (first used by prompt #1)" in message


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("{id: Greeting, text: Привет}", "prompt #1 (id 'Greeting'): bad id 'Greeting'"),
        ("{id: 'a-b', text: Привет}", "bad id 'a-b'"),
        ("{id: 'frag/x', text: Привет}", "bad id 'frag/x'"),
        ("{text: Привет}", "prompt #1: missing id"),
        ("{id: a}", "prompt #1 (id 'a'): empty text"),
        ("{id: a, text: '   '}", "prompt #1 (id 'a'): empty text"),
        ("{id: a, text: 12}", "text must be a string, got int"),
        ("{id: a, text: 'Вам {name}'}", "unknown placeholder {name} (only {company})"),
        ("{id: a, text: '{company:>10}'}", "unknown placeholder {company:>10}"),
        ("{id: a, text: '{company!r}'}", "unknown placeholder {company!r}"),
        ("{id: a, text: '{0}'}", "unknown placeholder {0}"),
        ("{id: a, text: 'скобка { одна'}", "bad braces"),
        ("{id: a, text: Привет, voice: anna}", "prompt #1 (id 'a'): unknown key(s): voice"),
        ("{id: a, text: Привет, note: [1]}", "note must be a string"),
        ("just a string", "prompt #1: expected a mapping"),
    ],
)
def test_bad_entries_are_reported_with_index_and_id(
    tmp_path: Path, entry: str, expected: str
) -> None:
    message = error_of(tmp_path, f"version: 1\nprompts:\n  - {entry}\n")
    assert expected in message


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        "version: 1\nprompts:\n"
        "  - {id: ok, text: Хорошо}\n  - {id: Bad, text: Плохо}\n  - {id: c, text: '{x}'}\n",
    )
    assert "prompt #2 (id 'Bad')" in message and "prompt #3 (id 'c')" in message
    assert "prompt #1" not in message


def test_file_level_errors(tmp_path: Path) -> None:
    assert "version must be 1" in error_of(tmp_path, "version: 2\nprompts: []\n")
    assert "unknown top-level key(s): voices" in error_of(
        tmp_path, "version: 1\nprompts: []\nvoices: []\n"
    )
    assert "'prompts' must be a list" in error_of(tmp_path, "version: 1\nprompts: {}\n")
    assert "not valid YAML" in error_of(tmp_path, "version: 1\nprompts: [\n")
    assert "expected a mapping" in error_of(tmp_path, "- a\n")
    repeated = error_of(tmp_path, "version: 1\nprompts:\n  - {id: a, text: Раз, text: Два}\n")
    assert "key 'text' appears twice" in repeated
    with pytest.raises(CatalogueError, match="not found"):
        Catalogue.load(tmp_path / "nowhere", COMPANY)


def test_the_project_catalogue_loads() -> None:
    catalogue = Catalogue.load(Path("prompts"), COMPANY)
    assert len(catalogue) > 0
    assert all(e.text and "{company}" not in e.text for e in catalogue.entries())
