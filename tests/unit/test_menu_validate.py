"""IVR menu rules: levels, options, seconds of speech per level per voice, reserved keys,
prompt ids; and the default menu against the real catalogue and real rendered voices."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from hotline.settings import IvrSettings, Settings, load_settings
from hotline.speech.catalogue import Catalogue
from hotline.speech.library import PromptLibrary
from hotline.speech.manifest import MANIFEST, BuiltPrompt, Manifest
from ivr.menu.loader import load_menu
from ivr.menu.model import Menu, NodeKind
from ivr.menu.standard import load_and_validate, validate_menu
from ivr.menu.structure import MenuError, Rule, Violation
from ivr.prompts import NAV_HINT
from tests.unit.test_menu_model import CATALOGUE, DEFAULT_MENU, ROOT, base, dump, parse

# Seconds per prompt in two voices: everything fits in "fast"; "slow" reads main.detailed
# in 17.3 s.
FAST: Mapping[str, float] = {
    "main.short": 4.0,
    "main.detailed": 9.5,
    "info.menu": 3.0,
    "info.detailed": 6.0,
    "info.tariffs": 5.0,
    "bye": 1.5,
    # After main.detailed for a first-time caller; counted with it.
    "ivr.nav.hint": 1.0,
}
SLOW: Mapping[str, float] = {**{k: v * 1.4 for k, v in FAST.items()}, "main.detailed": 17.3}


def catalogue() -> Catalogue:
    return Catalogue.parse(CATALOGUE, "Энергосбыт")


def check(
    data: dict[str, Any] | Menu,
    durations: Mapping[str, float] = FAST,
    ivr: IvrSettings | None = None,
    voice: str = "rhvoice-fast",
) -> list[Violation]:
    menu = data if isinstance(data, Menu) else parse(data)
    return validate_menu(
        menu,
        ivr or IvrSettings(),
        catalogue=catalogue(),
        durations=lambda prompt_id: durations[prompt_id],
        voice=voice,
    )


def only(found: list[Violation], rule: str) -> list[Violation]:
    assert {v.rule for v in found} == {rule}, found
    return found


def test_a_valid_menu_has_no_violations() -> None:
    assert check(base()) == []


# --- levels ------------------------------------------------------------------------------------
def chain(menus: int) -> dict[str, Any]:
    """main -> m2 -> ... -> m<menus>, each on key 1; the last menu leads to the operator."""
    data = base()
    prompt = data["nodes"]["info"]["prompt"]
    previous = "main"
    for level in range(2, menus + 1):
        data["nodes"][previous]["options"]["4"] = f"m{level}"
        data["nodes"][f"m{level}"] = {"kind": "menu", "prompt": prompt, "options": {}}
        previous = f"m{level}"
    data["nodes"][previous]["options"]["1"] = "deep.operator"
    data["nodes"]["deep.operator"] = {"kind": "action", "action": "operator"}
    return data


def test_four_menu_levels_and_the_operator_as_the_fifth_are_fine() -> None:
    menu = parse(chain(4))
    assert menu.level("m4") == 4 and menu.level("deep.operator") == 5
    assert check(menu) == []


def test_a_menu_at_level_five_is_a_violation() -> None:
    (violation,) = only(check(chain(5)), Rule.MAX_LEVELS)
    assert violation.node == "m5" and violation.measured == 5
    assert str(violation) == (
        'node "m5": rule max_levels: menu at level 5 (limit 4 menu levels; '
        "the operator is level 5)"
    )
    assert check(chain(5), ivr=IvrSettings(max_levels=5)) == []
    assert {v.node for v in check(chain(5), ivr=IvrSettings(max_levels=3))} == {"m4", "m5"}


# --- options per level -------------------------------------------------------------------------
def with_options(count: int) -> dict[str, Any]:
    data = base()
    for key in range(4, count + 1):
        data["nodes"]["main"]["options"][str(key)] = f"extra{key}"
        data["nodes"][f"extra{key}"] = {"kind": "action", "action": "callback_request"}
    return data


def test_five_options_on_a_level_is_a_violation() -> None:
    assert check(with_options(4)) == []
    (violation,) = only(check(with_options(5)), Rule.MAX_OPTIONS)
    assert violation.node == "main" and violation.measured == 5
    assert violation.message == "5 options (limit 4)"


def test_the_option_limit_is_a_setting() -> None:
    (violation,) = only(check(with_options(4), ivr=IvrSettings(max_options=3)), Rule.MAX_OPTIONS)
    assert violation.message == "4 options (limit 3)"
    assert check(with_options(6), ivr=IvrSettings(max_options=6)) == []


# --- seconds of speech per level ---------------------------------------------------------------
def test_a_detailed_menu_prompt_too_long_is_a_violation() -> None:
    (violation,) = only(check(base(), SLOW, voice="rhvoice-slow"), Rule.MAX_LEVEL_SPEECH_SECONDS)
    assert violation.node == "main" and violation.measured == 17.3
    assert str(violation) == (
        'node "main": rule max_level_speech_seconds: 17.3 s of speech in the detailed prompt '
        "main.detailed (limit 15 s, voice rhvoice-slow)"
    )


@pytest.mark.parametrize(
    ("prompt_id", "node", "variant"),
    [
        ("info.menu", "info", "short"),
        ("info.tariffs", "info.tariffs", "short"),
        ("bye", "bye", "short"),
    ],
)
def test_every_prompt_of_a_level_counts(prompt_id: str, node: str, variant: str) -> None:
    (violation,) = only(check(base(), {**FAST, prompt_id: 15.01}), Rule.MAX_LEVEL_SPEECH_SECONDS)
    assert violation.node == node
    assert f"15.01 s of speech in the {variant} prompt {prompt_id}" in violation.message


def test_exactly_the_limit_is_fine_and_the_limit_is_a_setting() -> None:
    assert check(base(), {**FAST, "main.detailed": 15.0}) == []
    (violation,) = only(
        check(base(), ivr=IvrSettings(max_level_speech_seconds=9.0)), Rule.MAX_LEVEL_SPEECH_SECONDS
    )
    assert violation.message == (
        "9.5 s of speech in the detailed prompt main.detailed (limit 9 s, voice rhvoice-fast)"
    )


def test_valid_with_one_voice_and_too_long_with_another() -> None:
    assert check(base(), FAST, voice="rhvoice-fast") == []
    (violation,) = check(base(), SLOW, voice="rhvoice-slow")
    assert violation.rule == Rule.MAX_LEVEL_SPEECH_SECONDS and "rhvoice-slow" in violation.message


def test_a_prompt_not_built_for_the_voice_is_a_violation() -> None:
    durations = {k: v for k, v in FAST.items() if k != "info.tariffs"}
    (violation,) = only(check(base(), durations), Rule.NOT_BUILT)
    assert violation.node == "info.tariffs"
    assert "info.tariffs is not built for voice rhvoice-fast" in violation.message


# --- reserved navigation keys ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "meaning"),
    [("0", "the operator (ivr.operator_key)"), ("*", "back"), ("#", "the main menu")],
)
def test_an_option_on_a_navigation_key_is_a_violation(key: str, meaning: str) -> None:
    data = base()
    data["nodes"]["info"]["options"][key] = data["nodes"]["info"]["options"].pop("2")
    (violation,) = only(check(data), Rule.RESERVED_KEY)
    assert violation.node == "info"
    assert violation.message.startswith(f"option on key {key!r} is reserved for {meaning}")


def test_the_navigation_keys_are_settings() -> None:
    data = base()
    data["nodes"]["main"]["options"]["0"] = data["nodes"]["main"]["options"].pop("3")
    assert check(data, ivr=IvrSettings(operator_key="9")) == []
    (violation,) = only(check(base(), ivr=IvrSettings(operator_key="3")), Rule.RESERVED_KEY)
    assert violation.node == "main" and "'3'" in violation.message


# --- prompts in the catalogue ------------------------------------------------------------------
def test_an_unknown_prompt_names_node_file_and_a_close_match() -> None:
    data = base()
    data["nodes"]["info"]["prompt"]["detailed"] = "info.detailled"
    (violation,) = only(check(data), Rule.UNKNOWN_PROMPT)
    assert violation.node == "info"
    assert violation.message.startswith(
        "menu menus/test.yaml node \"info\" names unknown prompt 'info.detailled' "
        "(did you mean 'info.detailed'"
    )


def test_structure_is_checked_too() -> None:
    menu = parse(base())
    broken = Menu(menu.name, menu.start, {**menu.nodes, "lost": menu.node("readings")})
    rules = {(v.node, v.rule) for v in check(broken)}
    assert rules == {("lost", Rule.NODE_ID), ("lost", Rule.UNREACHABLE)}


# --- load_and_validate over a prompt library with two fake builds -----------------------------
def write_build(sounds: Path, voice: str, durations: Mapping[str, float]) -> None:
    """A build of the rhvoice backend as the library reads it (its manifest)."""
    prompts = {
        pid: BuiltPrompt(pid, pid, "tts", f"key-{pid}", seconds)
        for pid, seconds in durations.items()
    }
    directory = sounds / f"rhvoice-{voice}"
    directory.mkdir(parents=True)
    manifest = Manifest("rhvoice", voice, 100, "test", prompts)
    (directory / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")


def fake_project(tmp_path: Path, menu: dict[str, Any] | None = None) -> dict[str, Any]:
    """Catalogue, menu and the builds of voices "fast" and "slow" under ``tmp_path``;
    returns the settings overrides that point at them."""
    prompts = tmp_path / "prompts"
    prompts.mkdir(parents=True)
    (prompts / "catalogue.yaml").write_text(CATALOGUE, encoding="utf-8")
    (tmp_path / "menu.yaml").write_text(dump(menu or base()), encoding="utf-8")
    write_build(tmp_path / "sounds", "fast", FAST)
    write_build(tmp_path / "sounds", "slow", SLOW)
    return {
        "speech": {
            "voice": "fast",
            "sounds_dir": str(tmp_path / "sounds"),
            "cache_dir": str(tmp_path / "cache"),
        },
        "paths": {"prompts_dir": str(prompts)},
        "ivr": {"menu_file": str(tmp_path / "menu.yaml")},
    }


def project_settings(tmp_path: Path, menu: dict[str, Any] | None = None) -> Settings:
    return load_settings(overrides=fake_project(tmp_path, menu), environ={})


def test_load_and_validate_per_voice(tmp_path: Path) -> None:
    settings = project_settings(tmp_path)
    library = PromptLibrary(settings)
    assert library.voices() == ["fast", "slow"]
    path = settings.ivr.menu_file
    assert load_and_validate(path, settings, library).node("main").kind is NodeKind.MENU
    assert load_and_validate(path, settings, library, ["fast"]).start == "main"
    with pytest.raises(MenuError) as caught:
        load_and_validate(path, settings, library, ["fast", "slow"])
    (violation,) = caught.value.violations
    assert violation.node == "main" and violation.measured == 17.3
    assert "voice rhvoice-slow" in str(caught.value)
    slow = settings.model_copy(
        update={"speech": settings.speech.model_copy(update={"voice": "slow"})}
    )
    with pytest.raises(MenuError):
        load_and_validate(path, slow, PromptLibrary(slow))


def test_load_and_validate_reports_a_problem_once_for_all_voices(tmp_path: Path) -> None:
    data = base()
    data["nodes"]["main"]["options"]["0"] = data["nodes"]["main"]["options"].pop("3")
    settings = project_settings(tmp_path, data)
    with pytest.raises(MenuError) as caught:
        load_and_validate(
            settings.ivr.menu_file, settings, PromptLibrary(settings), ["fast", "slow"]
        )
    rules = [v.rule for v in caught.value.violations]
    assert sorted(rules) == [Rule.MAX_LEVEL_SPEECH_SECONDS, Rule.RESERVED_KEY]


def test_load_and_validate_refuses_a_voice_not_built(tmp_path: Path) -> None:
    settings = project_settings(tmp_path)
    with pytest.raises(MenuError) as caught:
        load_and_validate(settings.ivr.menu_file, settings, PromptLibrary(settings), ["irina"])
    assert {v.rule for v in caught.value.violations} == {Rule.NOT_BUILT}
    assert "voice rhvoice-irina" in str(caught.value)


# --- the default menu --------------------------------------------------------------------------
def real_catalogue() -> Catalogue:
    return Catalogue.load(ROOT / "prompts", "Энергосбыт")


def test_default_menu_names_only_real_catalogue_prompts() -> None:
    menu = load_menu(DEFAULT_MENU)
    assert (
        validate_menu(
            menu, IvrSettings(), catalogue=real_catalogue(), durations=lambda _: 1.0, voice="any"
        )
        == []
    )
    assert menu.prompt_ids() <= set(real_catalogue().ids())


# The configured voice (RHVoice anna), the slowest RHVoice voice (aleksandr) and espeak-ng.
REAL_VOICES = [("rhvoice", "anna"), ("rhvoice", "aleksandr"), ("espeak", "anna")]


@pytest.fixture(scope="module")
def real_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Settings]:
    """The default menu's prompts rendered by the real TTS into a temporary sounds dir.

    Only the menu's prompts are built, through the shared speech cache (content-addressed,
    as `hotline prompts build` uses it), so a machine that built them once renders nothing.
    """
    sounds = tmp_path_factory.mktemp("sounds")
    catalogue = real_catalogue()
    subset = Catalogue(
        {
            pid: catalogue.require(pid, "test")
            for pid in [*load_menu(DEFAULT_MENU).prompt_ids(), NAV_HINT]
        }
    )
    built: dict[tuple[str, str], Settings] = {}
    for backend, voice in REAL_VOICES:
        settings = load_settings(
            overrides={
                "speech": {"backend": backend, "voice": voice, "sounds_dir": str(sounds)},
                "paths": {"prompts_dir": str(ROOT / "prompts")},
            },
            environ={},
        )
        library = PromptLibrary(settings, catalogue=subset, fragments={})
        asyncio.run(library.build())
        built[(backend, voice)] = settings
    return built


@pytest.mark.parametrize(
    ("backend", "voice"), REAL_VOICES, ids=[f"{b}-{v}" for b, v in REAL_VOICES]
)
def test_default_menu_passes_with_real_voices(
    real_builds: dict[tuple[str, str], Settings], backend: str, voice: str
) -> None:
    settings = real_builds[(backend, voice)]
    library = PromptLibrary(settings)
    menu = load_and_validate(DEFAULT_MENU, settings, library)
    longest = max(library.duration(pid) for pid in menu.prompt_ids())
    # Measured, not estimated: real speech, and with some room under the 15 s limit.
    assert 2.0 < longest < settings.ivr.max_level_speech_seconds - 1.0


def test_rhvoice_anna_and_aleksandr_together(real_builds: dict[tuple[str, str], Settings]) -> None:
    settings = real_builds[("rhvoice", "anna")]
    library = PromptLibrary(settings)
    assert {"anna", "aleksandr"} <= set(library.voices())
    load_and_validate(DEFAULT_MENU, settings, library, ["anna", "aleksandr"])
    strict = settings.model_copy(
        update={"ivr": settings.ivr.model_copy(update={"max_level_speech_seconds": 10.0})}
    )
    with pytest.raises(MenuError) as caught:
        load_and_validate(DEFAULT_MENU, strict, library, ["anna", "aleksandr"])
    voices = {v.message.rsplit("voice ", 1)[1] for v in caught.value.violations}
    assert "rhvoice-aleksandr)" in voices  # the slower voice breaks a tighter limit
