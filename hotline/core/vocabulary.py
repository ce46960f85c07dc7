"""The one vocabulary: the Russian label of every code a person sees (issue 18).

Codes stay codes where programs read them (the database, ``--json``, the code column of a
download); a person reads the label beside or instead of them: the console (the Jinja filter
``label``), the downloads (a label column beside each code column) and the CLI's human output.

A vocabulary is named after the enum whose values it labels (``Reason``, ``CampaignState``...);
tests/unit/test_vocab_labels.py walks every enum of the code base and fails on a value without
a label here.  Vocabularies that are not enums (Asterisk's device states, audit actions) are
named here and checked against the code that writes them.  The labels themselves live in
:mod:`hotline.core.vocabulary_labels`.

Pure, and free of heavy imports: the CLI imports it for its output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from hotline.core.vocabulary_labels import LABELS

# Column headers of downloads (the code column keeps its name; its label column is beside it).
COLUMNS: Final[Mapping[str, str]] = {
    "state": "состояние",
    "result": "итог",
    "reason": "причина",
    "status": "статус",
    "outcome": "исход",
    "direction": "направление",
    "kind": "вид",
    "type": "тип звонка",
    "operator_reason": "почему оператор",
    "action": "действие",
    "role": "роль",
    "question_type": "тип вопроса",
}
LABEL_SUFFIX: Final = "_label"
_ISO: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def label(vocabulary: str, code: object) -> str:
    """The Russian label of ``code`` (an enum member or its value); the code itself when the
    vocabulary has none (a value written by a newer version), '' for None."""
    if code is None:
        return ""
    text = str(code.value) if hasattr(code, "value") else str(code)
    return LABELS.get(vocabulary, {}).get(text, text)


def describe(vocabulary: str, code: object, params: Mapping[str, Any] | None = None) -> str:
    """A label with its {placeholders} filled; a parameter named after a vocabulary's code
    (``reason``) is labelled too."""
    text = label(vocabulary, code)
    if not params:
        return text
    values = {k: label("Reason", v) if k == "reason" else v for k, v in params.items()}
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        return text


def with_labels(
    row: Mapping[str, Any], columns: Mapping[str, str], *, order: Iterable[str] | None = None
) -> dict[str, Any]:
    """``row`` with a ``<column>_label`` beside every column named in ``columns`` (column ->
    vocabulary): the code stays for programs, the label is for people."""
    result: dict[str, Any] = {}
    for key in order if order is not None else row:
        result[key] = row[key]
        if key in columns:
            result[key + LABEL_SUFFIX] = label(columns[key], row[key])
    return result


# Audit detail keys whose values are codes of a vocabulary (the appeal register's entries).
_DETAIL_VALUES: Final = {
    "channel": "AppealChannel",
    "status": "AppealStatus",
    "reason": "NotConsidered",
}


def detail_text(
    detail: Mapping[str, Any] | None, titles: Mapping[str, Mapping[str, str]] | None = None
) -> str:
    """An audit entry's details for people: «ключ: значение; ...», keys and known codes
    labelled (a role reads as its label, yes/no in Russian); ``titles`` names the codes the
    settings define (an appeal's category and unit: key -> code -> title)."""
    if not detail:
        return ""
    parts = []
    for key, value in detail.items():
        if titles and key in titles and isinstance(value, str) and value in titles[key]:
            parts.append(f"{label('AuditDetail', key)}: {titles[key][value]}")
            continue
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            text = "да" if value else "нет"
        elif key == "role":
            text = label("Role", value)
        elif key == "why":
            text = label("LoginRefusal", value)
        elif key in _DETAIL_VALUES and isinstance(value, str):
            text = label(_DETAIL_VALUES[key], value)
        elif isinstance(value, str) and _ISO.match(value):
            text = f"{value[8:10]}.{value[5:7]}.{value[:4]} {value[11:16]}"
        elif isinstance(value, list | tuple):
            text = ", ".join(map(str, value))
        else:
            text = str(value)
        parts.append(f"{label('AuditDetail', key)}: {text}")
    return "; ".join(parts)


def header(column: str) -> str:
    """A download's column header: the Russian name of a label column, others unchanged."""
    if column.endswith(LABEL_SUFFIX):
        base = column.removesuffix(LABEL_SUFFIX)
        return COLUMNS.get(base, base)
    return column
