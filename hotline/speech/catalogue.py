"""The prompt catalogue: ``prompts/catalogue.yaml`` plus optional studio recordings.

Format::

    version: 1
    prompts:
      - id: greeting            # [a-z0-9_.]+, unique
        text: "Здравствуйте! Вы позвонили в контактный центр {company}."
        note: "optional English note for editors"

``{company}`` is the only placeholder (``settings.speech.company_name``).  A recording in
``prompts/recorded/<id>.wav`` (any rate and channels) is played instead of synthesis.
Every problem in the file is reported at once, each naming the entry's index and id.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from hotline.core.strict_yaml import load_strict

CATALOGUE_FILE: Final = "catalogue.yaml"
RECORDED_DIR: Final = "recorded"
RECORDED_SUFFIX: Final = ".wav"
FORMAT_VERSION: Final = 1
PLACEHOLDER_COMPANY: Final = "company"
PROMPT_ID: Final = re.compile(r"[a-z0-9_.]+")
_ENTRY_KEYS: Final = frozenset({"id", "text", "note"})
_TOP_KEYS: Final = frozenset({"version", "prompts"})


class CatalogueError(ValueError):
    """The catalogue file is missing or invalid; the message names every bad entry."""


class UnknownPrompt(CatalogueError):
    """A menu, scenario or other user names a prompt id the catalogue does not have."""

    def __init__(self, prompt_id: str, used_by: str, known: Iterable[str] = ()) -> None:
        self.prompt_id = prompt_id
        self.used_by = used_by
        close = difflib.get_close_matches(prompt_id, list(known), n=3, cutoff=0.7)
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        super().__init__(f"{used_by} names unknown prompt {prompt_id!r}{hint}")


@dataclass(frozen=True)
class PromptEntry:
    id: str
    # With {company} already substituted: exactly what is spoken.
    text: str
    note: str = ""
    # A studio recording that wins over synthesis, or None.
    recorded: Path | None = None

    @property
    def source(self) -> str:
        return "recorded" if self.recorded is not None else "tts"


def _placeholders(text: str) -> list[str]:
    """Problems with ``{...}`` fields: anything but a bare ``{company}``."""
    problems = []
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:  # a lone "{" or "}"
        return [f"bad braces in text ({exc}); write {{{{ and }}}} for literal braces"]
    for _, field, spec, conversion in fields:
        if field is None:
            continue
        if field != PLACEHOLDER_COMPANY or spec or conversion:
            shown = "{" + field + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            problems.append(f"unknown placeholder {shown} (only {{{PLACEHOLDER_COMPANY}}})")
    return problems


class Catalogue:
    """Prompt id → :class:`PromptEntry`, in file order."""

    def __init__(self, entries: Mapping[str, PromptEntry], source: Path | None = None) -> None:
        self._entries = dict(entries)
        self.source = source

    @classmethod
    def load(cls, prompts_dir: Path, company_name: str) -> Catalogue:
        path = prompts_dir / CATALOGUE_FILE
        try:
            raw_text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise CatalogueError(f"prompt catalogue not found: {path}") from exc
        recorded_dir = prompts_dir / RECORDED_DIR
        return cls.parse(raw_text, company_name, path=path, recorded_dir=recorded_dir)

    @classmethod
    def parse(
        cls,
        raw_text: str,
        company_name: str,
        *,
        path: Path | None = None,
        recorded_dir: Path | None = None,
    ) -> Catalogue:
        where = str(path) if path else "prompt catalogue"
        try:
            data = load_strict(raw_text)
        except yaml.YAMLError as exc:
            raise CatalogueError(f"{where}: not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise CatalogueError(f"{where}: expected a mapping with 'version' and 'prompts'")
        errors: list[str] = []
        unknown = sorted(str(k) for k in data if k not in _TOP_KEYS)
        if unknown:
            errors.append(f"unknown top-level key(s): {', '.join(unknown)}")
        if data.get("version") != FORMAT_VERSION:
            errors.append(f"version must be {FORMAT_VERSION}, got {data.get('version')!r}")
        prompts = data.get("prompts")
        if not isinstance(prompts, list):
            errors.append("'prompts' must be a list of entries")
            prompts = []
        entries: dict[str, PromptEntry] = {}
        first_index: dict[str, int] = {}
        for index, item in enumerate(prompts, start=1):
            entry, problems = _entry(item, company_name, recorded_dir)
            ident = item.get("id") if isinstance(item, dict) else None
            label = f"prompt #{index}" + (f" (id {ident!r})" if isinstance(ident, str) else "")
            if entry is not None:
                if entry.id in first_index:
                    first = first_index[entry.id]
                    problems.append(f"duplicate id (first used by prompt #{first})")
                else:
                    first_index[entry.id] = index
                    if not problems:
                        entries[entry.id] = entry
            errors.extend(f"{label}: {problem}" for problem in problems)
        if errors:
            raise CatalogueError(f"{where}:\n  " + "\n  ".join(errors))
        return cls(entries, path)

    # --- queries --------------------------------------------------------------------------
    def ids(self) -> list[str]:
        return list(self._entries)

    def entries(self) -> list[PromptEntry]:
        return list(self._entries.values())

    def __contains__(self, prompt_id: object) -> bool:
        return prompt_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, prompt_id: str) -> PromptEntry | None:
        return self._entries.get(prompt_id)

    def require(self, prompt_id: str, used_by: str) -> PromptEntry:
        """The entry, or :class:`UnknownPrompt` naming both the id and ``used_by`` (e.g.
        ``menu menus/hotline.yaml node "main"`` or ``campaign scenario "debt"``)."""
        entry = self._entries.get(prompt_id)
        if entry is None:
            raise UnknownPrompt(prompt_id, used_by, self._entries)
        return entry

    def orphan_recordings(self) -> list[Path]:
        """Recordings in ``prompts/recorded/`` whose name is no prompt id (likely typos)."""
        if self.source is None:
            return []
        recorded = self.source.parent / RECORDED_DIR
        if not recorded.is_dir():
            return []
        return sorted(
            path
            for path in recorded.glob(f"*{RECORDED_SUFFIX}")
            if path.name.removesuffix(RECORDED_SUFFIX) not in self._entries
        )


def _entry(
    item: object, company_name: str, recorded_dir: Path | None
) -> tuple[PromptEntry | None, list[str]]:
    if not isinstance(item, dict):
        return None, [f"expected a mapping with id and text, got {type(item).__name__}"]
    problems = []
    unknown = sorted(str(k) for k in item if k not in _ENTRY_KEYS)
    if unknown:
        problems.append(
            f"unknown key(s): {', '.join(unknown)} (allowed: {', '.join(sorted(_ENTRY_KEYS))})"
        )
    ident = item.get("id")
    if not isinstance(ident, str) or not ident:
        return None, [*problems, "missing id"]
    if not PROMPT_ID.fullmatch(ident):
        problems.append(f"bad id {ident!r}: use lower-case latin letters, digits, '_' and '.'")
    text = item.get("text")
    if text is not None and not isinstance(text, str):
        problems.append(f"text must be a string, got {type(text).__name__}")
        text = ""
    elif not text or not text.strip():
        problems.append("empty text")
        text = ""
    else:
        problems.extend(_placeholders(text))
    note = item.get("note", "")
    if not isinstance(note, str):
        problems.append("note must be a string")
        note = ""
    spoken = text.strip()
    if not problems:
        spoken = spoken.format(**{PLACEHOLDER_COMPANY: company_name})
    recorded = None
    if recorded_dir is not None and PROMPT_ID.fullmatch(ident):
        candidate = recorded_dir / f"{ident}{RECORDED_SUFFIX}"
        recorded = candidate if candidate.is_file() else None
    return PromptEntry(ident, spoken, note, recorded), problems
