"""A commented ``hotline.toml`` with every setting (`hotline config init`; issue 24, item 3).

The file is made by walking the settings model, so a new setting can never be missing: each
key with its default and the comment written above it in ``hotline/settings/`` (where the
seed requirement behind a default is named, R-NNN), secrets and unset values commented out.
"""

from __future__ import annotations

import inspect
import json
import re
import textwrap
import typing
from collections.abc import Iterator, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from hotline.settings import Settings

WIDTH: Final = 95
REQUIREMENT: Final = re.compile(r"\bR-\d{3}\b")
_BARE_KEY: Final = re.compile(r"^[A-Za-z0-9_-]+$")
_FIELD_LINE: Final = re.compile(r"^    (\w+)\s*:")
HEADER: Final = """\
# hotline.toml: every setting, with its default (written by `hotline config init`).
# Precedence: defaults < this file (or the one HOTLINE_CONFIG / --config names) <
# environment variables HOTLINE_SECTION__KEY < `--set section.key=value`.
# "R-NNN" names the seed requirement behind a default (../shared/requirements.md).
# Commented keys have no default or are secrets: set secrets in the environment (the
# services' EnvironmentFile), not here.  Check a file with `hotline config check FILE`.
"""


def field_comments(model: type[BaseModel]) -> dict[str, str]:
    """The comment lines written right above each field in the model's source (and its
    bases'), joined: ``{"port": "...", ...}``."""
    comments: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        own = inspect.get_annotations(cls)
        try:
            lines = inspect.getsource(cls).splitlines()
        except (OSError, TypeError):
            continue
        pending: list[str] = []
        for line in lines[1:]:
            stripped = line.strip()
            if stripped.startswith("#"):
                pending.append(stripped.lstrip("#").strip())
                continue
            found = _FIELD_LINE.match(line)
            if found and found.group(1) in own and pending:
                comments[found.group(1)] = " ".join(pending)
            pending = []
    return comments


def _commented(text: str) -> list[str]:
    return [f"# {line}" for line in textwrap.wrap(text, WIDTH - 2)] if text else []


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name, ensure_ascii=False)


def toml_value(value: Any) -> str:
    """A TOML value for a default (strings, numbers, booleans, paths, lists, mappings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return toml_value(value.value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, BaseModel):
        return toml_value(value.model_dump())
    if isinstance(value, Mapping):
        items = ", ".join(f"{_key(str(k))} = {toml_value(v)}" for k, v in value.items())
        return f"{{ {items} }}" if items else "{}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _array_lines(key: str, value: Sequence[Any]) -> list[str]:
    line = f"{key} = {toml_value(value)}"
    if len(line) <= WIDTH:
        return [line]
    return [f"{key} = [", *(f"    {toml_value(item)}," for item in value), "]"]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _dict_of_models(annotation: Any) -> type[BaseModel] | None:
    if typing.get_origin(annotation) is dict:
        args = typing.get_args(annotation)
        if len(args) == 2 and _is_model(args[1]):
            model: type[BaseModel] = args[1]
            return model
    return None


def _is_secret(annotation: Any) -> bool:
    return SecretStr in (annotation, *typing.get_args(annotation))


def _placeholder(annotation: Any) -> str:
    types = [t for t in (annotation, *typing.get_args(annotation)) if t is not type(None)]
    if bool in types:
        return "true"
    if int in types or float in types:
        return "0"
    return '""'


def _field_lines(
    name: str, info: FieldInfo, value: Any, comment: str, env: str, required: bool
) -> list[str]:
    lines = _commented(comment)
    requirements = sorted(set(REQUIREMENT.findall(comment)))
    if requirements:
        lines.append(f"# Requirement: {', '.join(requirements)}.")
    key = _key(name)
    if _is_secret(info.annotation):
        lines.append(f"# Secret: set {env} in the environment rather than here.")
        lines.append(f'# {key} = "CHANGE-ME"')
    elif required:
        lines.append(f"# {key} = {_placeholder(info.annotation)}  # required")
    elif value is None:
        lines.append("# Unset by default.")
        lines.append(f"# {key} = {_placeholder(info.annotation)}")
    elif isinstance(value, list | tuple):
        lines.extend(_array_lines(key, value))
    else:
        lines.append(f"{key} = {toml_value(value)}")
    return lines


def _table(
    path: list[str], model: type[BaseModel], values: BaseModel | None, about: str = ""
) -> Iterator[str]:
    """``[path]`` (``about`` and the model's docstring above it) and its keys, then its
    sub-tables; ``values`` None: all commented out (a table the defaults do not have)."""
    header = "[" + ".".join(_key(part) for part in path) + "]"
    env = "HOTLINE_" + "__".join(path).upper()
    comments = field_comments(model)
    doc = inspect.cleandoc(model.__doc__) if model.__doc__ else ""
    body: list[str] = [*_commented(about), *_commented(" ".join(doc.split())), header]
    later: list[tuple[list[str], type[BaseModel], BaseModel | None, str]] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if values is not None:
            value = getattr(values, name)
        else:
            value = info.get_default(call_default_factory=True) if not info.is_required() else None
        comment = comments.get(name, "")
        if _is_model(annotation) and value is not None:
            later.append(([*path, name], annotation, value, comment))  # type: ignore[arg-type]
            continue
        item_model = _dict_of_models(annotation)
        if item_model is not None:
            entries = dict(value or {})
            for entry, item in entries.items():
                later.append(([*path, name, entry], item_model, item, comment))
            if not entries:
                later.append(([*path, name, "NAME"], item_model, None, comment))
            continue
        required = info.is_required() and values is None
        lines = _field_lines(name, info, value, comment, f"{env}__{name.upper()}", required)
        if lines[:-1]:
            body.append("")
        body.extend(lines)
    if values is None:
        body = [line if line.startswith("#") or not line else f"# {line}" for line in body]
    yield "\n".join(body)
    for sub_path, sub_model, sub_values, sub_about in later:
        yield from _table(sub_path, sub_model, sub_values, sub_about)


def settings_file_text() -> str:
    """The whole commented file: every section and key with its default."""
    values = _defaults()
    blocks = [HEADER.rstrip("\n")]
    for name, info in Settings.model_fields.items():
        annotation = info.annotation
        assert _is_model(annotation)
        blocks.extend(_table([name], annotation, getattr(values, name)))  # type: ignore[arg-type]
    return "\n\n".join(blocks) + "\n"


def _defaults() -> Settings:
    """Every default, whatever the environment or a hotline.toml in the working directory."""
    return Settings.model_construct(
        **{
            name: info.get_default(call_default_factory=True)
            for name, info in Settings.model_fields.items()
        }
    )
