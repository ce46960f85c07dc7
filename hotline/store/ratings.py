"""Ratings of operator calls (``rating_answers``): stored per call, caller and operator; the
frequency cap's question (R-105) and the satisfaction figure by operator (R-108, R-145)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import func, select

from hotline.store.db import Database
from hotline.store.models import Call, RatingAnswer
from hotline.store.surveys import SurveyStore, phone_digits

SCORE_MIN: Final = 1
SCORE_MAX: Final = 5


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the 31st clamps)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class OperatorSatisfaction:
    operator: str
    count: int
    average: float


class RatingStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, call_id: str, caller: str, operator: str, score: int, rated_at: datetime
    ) -> None:
        if not SCORE_MIN <= score <= SCORE_MAX:
            raise ValueError(f"a rating is {SCORE_MIN}..{SCORE_MAX}, not {score}")
        async with self._db.session() as session:
            session.add(
                RatingAnswer(
                    call_id=call_id[:64],
                    caller=caller[:32],
                    operator=operator[:128],
                    score=score,
                    rated_at=rated_at,
                )
            )

    async def rated_since(self, caller: str, since: datetime) -> bool:
        """Whether this caller was surveyed at or after ``since``: rated an operator call or
        answered an outbound survey (the one cap, R-105; ``surveys.surveyed_events``)."""
        phone = "+" + phone_digits(caller[:32])
        return bool(await SurveyStore(self._db).surveyed_since([phone], since))

    async def for_call(self, call_id: str) -> list[tuple[str, int]]:
        """(operator, score) of the ratings given on one call."""
        async with self._db.session() as session:
            rows = await session.execute(
                select(RatingAnswer.operator, RatingAnswer.score)
                .where(RatingAnswer.call_id == call_id)
                .order_by(RatingAnswer.id)
            )
            return [(str(op), int(score)) for op, score in rows]

    async def by_operator(
        self, start: datetime, end: datetime, *, include_simulated: bool = False
    ) -> list[OperatorSatisfaction]:
        """Average score and count by operator for ratings in [start, end); without
        ``include_simulated``, ratings given on simulated (test) calls are left out, as the
        console's other figures leave those calls out."""
        query = (
            select(
                RatingAnswer.operator,
                func.count(RatingAnswer.id),
                func.avg(RatingAnswer.score),
            )
            .where(RatingAnswer.rated_at >= start, RatingAnswer.rated_at < end)
            .group_by(RatingAnswer.operator)
            .order_by(RatingAnswer.operator)
        )
        if not include_simulated:
            simulated = select(Call.uniqueid).where(Call.simulated.is_(True))
            query = query.where(RatingAnswer.call_id.not_in(simulated))
        async with self._db.session() as session:
            rows = await session.execute(query)
            return [
                OperatorSatisfaction(str(op), int(n), round(float(avg), 2)) for op, n, avg in rows
            ]
