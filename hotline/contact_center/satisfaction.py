"""Satisfaction after operator calls (R-108, R-145): the 1-5 ratings callers gave, by operator
and for the whole line, as the queue report's table and download sheet."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.core.spreadsheets import Cell, Sheet
from hotline.store.ratings import OperatorSatisfaction

SHEET_TITLE = "Оценки операторов"


@dataclass(frozen=True)
class Satisfaction:
    operators: tuple[OperatorSatisfaction, ...]

    @property
    def count(self) -> int:
        return sum(o.count for o in self.operators)

    @property
    def average(self) -> float | None:
        """The line's average: every rating weighs the same, whoever it rated."""
        if not self.count:
            return None
        return round(sum(o.average * o.count for o in self.operators) / self.count, 2)


def satisfaction_sheet(satisfaction: Satisfaction) -> Sheet:
    rows: list[tuple[Cell, ...]] = [
        (o.operator, o.count, o.average) for o in satisfaction.operators
    ]
    rows.append(("всего", satisfaction.count, satisfaction.average))
    return Sheet(SHEET_TITLE, ("operator", "ratings", "average_1_5"), tuple(rows))
