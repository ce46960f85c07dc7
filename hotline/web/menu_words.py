"""The menu validator's findings in Russian words for the menu editor: the rule, and for the
limits of the service standard the measured value against the limit."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.settings import IvrSettings
from ivr.menu.structure import Rule, Violation


@dataclass(frozen=True)
class Problem:
    rule: str
    words: str  # Russian, for the supervisor
    detail: str  # the validator's own message (English, as `hotline menu validate` prints)
    measured: float | None


def plural(count: int, one: str, few: str, many: str) -> str:
    """``5 вариантов``: the Russian noun form for ``count``."""
    tail = count % 100
    if 11 <= tail <= 14:
        return many
    if count % 10 == 1:
        return one
    if 2 <= count % 10 <= 4:
        return few
    return many


def rule_words(violation: Violation, ivr: IvrSettings) -> Problem:
    measured = violation.measured
    words = violation.message
    if violation.rule == Rule.MAX_OPTIONS and measured is not None:
        count = int(measured)
        noun = plural(count, "вариант", "варианта", "вариантов")
        words = f"{count} {noun}, допустимо не более {ivr.max_options}"
    elif violation.rule == Rule.MAX_LEVELS and measured is not None:
        words = f"уровень меню {int(measured)}, допустимо не более {ivr.max_levels}"
    elif violation.rule == Rule.MAX_LEVEL_SPEECH_SECONDS and measured is not None:
        limit = f"{ivr.max_level_speech_seconds:g}"
        words = f"{measured:.1f} с речи на уровне, допустимо не более {limit} с"
    elif violation.rule == Rule.RESERVED_KEY:
        words = (
            f"клавиша занята навигацией ({ivr.operator_key} оператор, {ivr.back_key} назад, "
            f"{ivr.main_key} главное меню, {ivr.repeat_key} повтор)"
        )
    elif violation.rule == Rule.OPTIONS:
        words = "у меню должен быть хотя бы один вариант"
    elif violation.rule == Rule.UNKNOWN_PROMPT:
        words = "такой подсказки нет в каталоге"
    return Problem(str(violation.rule), words, violation.message, measured)
