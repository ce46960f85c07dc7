"""The phrase checker (R-054, R-055): what callers hear must not contain a forbidden phrase
(an error) and should avoid categorical or negative wording (a warning).  The lists are
``settings.wording``; matching ignores case, «ё»/«е» and punctuation, and is by whole words,
so «Нет» flags «Задолженности нет» but not «Нетто».  Run on the prompt catalogue
(`hotline prompts check`), on the prompts a menu plays (`hotline menu validate`) and on a
campaign scenario's prompts and e-mail text (`hotline scenario create`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from hotline.settings import WordingSettings
from hotline.speech.catalogue import Catalogue

_WORD: Final = re.compile(r"\w+")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class WordingFinding:
    """One listed phrase found in a text: ``where`` names the text (``prompt ivr.invalid``,
    ``menu menus/hotline.yaml node "main" prompt ivr.main.short``, ``scenario debt e-mail``)."""

    where: str
    phrase: str
    severity: Severity
    text: str

    def __str__(self) -> str:
        rule = "forbidden phrase" if self.severity is Severity.ERROR else "negative wording"
        return f"{self.where}: {self.severity}: {rule} «{self.phrase}» in «{self.text}»"


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("ё", "е"))


def _contains(words: Sequence[str], phrase: Sequence[str]) -> bool:
    size = len(phrase)
    if not size:
        return False
    return any(list(words[i : i + size]) == list(phrase) for i in range(len(words) - size + 1))


def check_text(text: str, where: str, wording: WordingSettings) -> list[WordingFinding]:
    """Every listed phrase in ``text``: errors first, in the order of the lists."""
    words = _words(text)
    found: list[WordingFinding] = []
    lists = (
        (wording.forbidden_phrases, Severity.ERROR),
        (wording.negative_words, Severity.WARNING),
    )
    for phrases, severity in lists:
        found.extend(
            WordingFinding(where, phrase, severity, text)
            for phrase in phrases
            if _contains(words, _words(phrase))
        )
    return found


def check_prompts(
    catalogue: Catalogue,
    wording: WordingSettings,
    prompt_ids: Iterable[str] | None = None,
    where: str = "",
) -> list[WordingFinding]:
    """:func:`check_text` on catalogue prompts (all of them by default; unknown ids are
    skipped: the callers report those themselves).  ``where`` prefixes each finding."""
    ids = list(dict.fromkeys(prompt_ids)) if prompt_ids is not None else catalogue.ids()
    found: list[WordingFinding] = []
    for prompt_id in ids:
        entry = catalogue.get(prompt_id)
        if entry is None:
            continue
        label = f"{where} prompt {prompt_id}" if where else f"prompt {prompt_id}"
        found.extend(check_text(entry.text, label, wording))
    return found


def errors(findings: Iterable[WordingFinding]) -> list[WordingFinding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def warnings(findings: Iterable[WordingFinding]) -> list[WordingFinding]:
    return [f for f in findings if f.severity is Severity.WARNING]
