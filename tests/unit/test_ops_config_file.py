"""`hotline config init` and `hotline config check` (issue 24, item 3): the written file has
every setting of the model with its default and requirement, reads back to the defaults, and
a bad file is refused naming section, key and rule."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from hotline.cli.config_file import settings_file_text
from hotline.settings import Settings
from hotline.settings.file_check import check_settings_file
from tests.cli_support import hermetic_store_url, run_hotline

_TABLE = re.compile(r"^(?:# )?\[([^\]]+)\]$")
_KEY = re.compile(r"^(?:# )?([A-Za-z0-9_-]+) = ")


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def _keys_by_table(text: str) -> dict[str, set[str]]:
    tables: dict[str, set[str]] = {}
    current = ""
    for line in text.splitlines():
        if found := _TABLE.match(line):
            current = found.group(1).replace('"', "")  # a quoted key: "complaint/quality"
            tables.setdefault(current, set())
        elif (found := _KEY.match(line)) and current:
            tables[current].add(found.group(1))
    return tables


def _model_paths(model: type[BaseModel], values: object, path: str) -> Iterator[tuple[str, str]]:
    """(table, key) for every field of the model, sub-models and mapped models included."""
    for name, info in model.model_fields.items():
        annotation = info.annotation
        value = getattr(values, name, None) if values is not None else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _model_paths(annotation, value, f"{path}.{name}")
            continue
        args = typing.get_args(annotation)
        if typing.get_origin(annotation) is dict and len(args) == 2:
            item = args[1]
            if isinstance(item, type) and issubclass(item, BaseModel):
                for entry in (value or {}) or {"NAME": None}:
                    entry_value = (value or {}).get(entry)
                    yield from _model_paths(item, entry_value, f"{path}.{name}.{entry}")
                continue
        yield path, name


def test_every_setting_of_the_model_is_in_the_file() -> None:
    """Walks the settings model: a field the file leaves out fails here."""
    tables = _keys_by_table(settings_file_text())
    missing = []
    for section, info in Settings.model_fields.items():
        annotation = info.annotation
        assert isinstance(annotation, type) and issubclass(annotation, BaseModel)
        section_values = info.get_default(call_default_factory=True)
        for table, key in _model_paths(annotation, section_values, section):
            if key not in tables.get(table, set()):
                missing.append(f"{table}.{key}")
    assert not missing, missing


def test_defaults_and_requirements_are_written() -> None:
    text = settings_file_text()
    assert "[ivr]\n" in text and '\nrepeat_key = "9"\n' in text
    assert "# Requirement: R-022, R-152.\nrepeat_key" in text
    assert "# Requirement: R-089.\noutage_lead_days = 30\n" in text
    assert "[queue.departments.dispatcher]" in text
    assert '\n# secret = "CHANGE-ME"\n' in text and "HOTLINE_AMI__SECRET" in text
    assert "\n# smtp_password = " in text and "\n# url = " in text


def test_the_written_file_reads_back_to_the_defaults(tmp_path: Path) -> None:
    written, empty = tmp_path / "hotline.toml", tmp_path / "empty.toml"
    written.write_text(settings_file_text(), encoding="utf-8")
    empty.write_text("", encoding="utf-8")
    from_file, problems = check_settings_file(written)
    assert problems == [] and from_file is not None
    defaults, _ = check_settings_file(empty)
    assert defaults is not None
    assert from_file.model_dump() == defaults.model_dump()


def test_config_init_and_check_commands(store_url: str, tmp_path: Path) -> None:
    target = tmp_path / "etc" / "hotline.toml"
    code, stdout, _ = run_hotline(store_url, "config", "init", str(target))
    assert code == 0 and "wrote" in stdout
    assert target.stat().st_mode & 0o777 == 0o640
    code, _, err = run_hotline(store_url, "config", "init", str(target))
    assert code != 0 and "--force" in err
    code, stdout, _ = run_hotline(store_url, "config", "check", str(target))
    assert code == 0 and stdout.strip() == f"{target}: valid"
    code, stdout, _ = run_hotline(store_url, "config", "init")
    assert code == 0 and stdout == settings_file_text()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[ivr]\nbogus = 1\n", "ivr.bogus: unknown setting"),
        ("[ivrr]\nmax_rounds = 1\n", "ivrr: unknown setting"),
        ('[ami]\nport = "five"\n', "ami.port: Input should be a valid integer"),
        ('[hours]\ntimezone = "Mars/Olympus"\n', "hours.timezone: Value error, unknown time zone"),
        ('[accounts]\ndefault_timezone = "Asia/Nowhere"\n', "accounts.default_timezone"),
        ("[ivr]\nsilent_rounds = 0\n", "ivr.silent_rounds: Input should be greater than"),
        ("[dialer.trunks.beeline]\nchannels = 3\n", "dialer.trunks.beeline.dial: required"),
        ("[ivr\n", "not valid TOML"),
    ],
)
def test_bad_files_are_refused_naming_section_key_and_rule(
    store_url: str, tmp_path: Path, content: str, expected: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(content, encoding="utf-8")
    code, stdout, err = run_hotline(store_url, "config", "check", str(bad))
    assert code == 2, stdout
    assert f"{bad}: {expected}" in err


def test_check_reads_the_file_alone(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment neither hides nor causes a problem in the file."""
    monkeypatch.setenv("HOTLINE_AMI__PORT", "not-a-port")
    good = tmp_path / "good.toml"
    good.write_text("[ami]\nport = 5039\n", encoding="utf-8")
    settings, problems = check_settings_file(good)
    assert problems == [] and settings is not None and settings.ami.port == 5039
    assert check_settings_file(tmp_path / "absent.toml")[1][0].startswith("cannot read")
