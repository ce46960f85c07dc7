"""Survey answers (``survey_answers``, issue 22 item 1; R-105-R-108): stored per question and
call; the results per question; and what "surveyed" means, in one place (``surveyed_events``):
a survey question answered on an outbound survey or an operator call rated after it.  The
frequency cap (at most once in 3 months, at import, at dial time and before the post-call
rating) and the coverage report (at least once in 12 months) both count exactly these."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Subquery, and_, case, func, literal, select, union_all

from hotline.store.db import Database
from hotline.store.models import RatingAnswer, SurveyAnswer

# Numbers looked up in one query.
_BATCH = 500
# A Russian number as a caller ID may give it: 8 and ten digits (the trunk prefix).
_TRUNK_PREFIX: Final = "8"
_COUNTRY: Final = "7"
_NATIONAL_LENGTH: Final = 11


@dataclass(frozen=True)
class AnswerCount:
    question: str
    answer: int
    count: int


def caller_forms(phone: str) -> dict[str, str]:
    """The forms an inbound caller ID of ``phone`` (E.164) may take (the rating stores the
    caller ID as Asterisk gives it), each mapped back to ``phone``."""
    digits = phone.lstrip("+")
    forms = {phone: phone, digits: phone}
    if digits.startswith("7") and len(digits) == 11:
        forms["8" + digits[1:]] = phone
    return forms


def phone_digits(number: str) -> str:
    """How the cap and the coverage compare numbers: digits without '+', a Russian
    8XXXXXXXXXX as 7XXXXXXXXXX (the accounts' registered phones are stored so)."""
    digits = number.lstrip("+")
    if len(digits) == _NATIONAL_LENGTH and digits.startswith(_TRUNK_PREFIX):
        return _COUNTRY + digits[1:]
    return digits


def _sql_digits(column: Any) -> Any:
    """``phone_digits`` in SQL (SQLite and PostgreSQL alike)."""
    digits = func.ltrim(column, "+")
    national = and_(
        func.length(digits) == _NATIONAL_LENGTH, func.substr(digits, 1, 1) == _TRUNK_PREFIX
    )
    return case((national, literal(_COUNTRY).concat(func.substr(digits, 2))), else_=digits)


def surveyed_events(
    phones: Collection[str] | None = None, since: datetime | None = None
) -> Subquery:
    """Every moment a customer was surveyed (R-105), as rows (``digits``, ``at``): a survey
    question answered (any survey campaign) or an operator call rated.  With ``phones``
    (E.164), only those numbers' moments, looked up by the tables' indexes; with ``since``,
    only the moments at or after it."""
    surveys = select(
        _sql_digits(SurveyAnswer.phone).label("digits"), SurveyAnswer.answered_at.label("at")
    )
    ratings = select(_sql_digits(RatingAnswer.caller).label("digits"), RatingAnswer.rated_at)
    if phones is not None:
        forms: dict[str, str] = {}
        for phone in phones:
            forms.update(caller_forms(phone))
        surveys = surveys.where(SurveyAnswer.phone.in_(list(phones)))
        ratings = ratings.where(RatingAnswer.caller.in_(list(forms)))
    if since is not None:
        surveys = surveys.where(SurveyAnswer.answered_at >= since)
        ratings = ratings.where(RatingAnswer.rated_at >= since)
    return union_all(surveys, ratings).subquery("surveyed")


class SurveyStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        campaign_id: int,
        attempt_id: str,
        phone: str,
        question: str,
        answer: int,
        answered_at: datetime,
    ) -> None:
        async with self._db.session() as session:
            session.add(
                SurveyAnswer(
                    campaign_id=campaign_id,
                    attempt_id=attempt_id[:64],
                    phone=phone[:32],
                    question=question[:32],
                    answer=answer,
                    answered_at=answered_at,
                )
            )

    async def surveyed_since(
        self, phones: Collection[str], since: datetime
    ) -> dict[str, datetime]:
        """The numbers among ``phones`` (E.164) that answered a survey question or rated an
        operator call at or after ``since``, each with the latest such moment (R-105)."""
        found: dict[str, datetime] = {}
        wanted = list(dict.fromkeys(phones))
        async with self._db.session() as session:
            for start in range(0, len(wanted), _BATCH):
                batch = wanted[start : start + _BATCH]
                by_digits = {phone_digits(phone): phone for phone in batch}
                events = surveyed_events(batch, since)
                rows = await session.execute(
                    select(events.c.digits, func.max(events.c.at)).group_by(events.c.digits)
                )
                for digits, at in rows:
                    phone = by_digits.get(str(digits), "+" + str(digits))
                    before = found.get(phone)
                    found[phone] = at if before is None else max(before, at)
        return found

    async def results(self, campaign_id: int) -> list[AnswerCount]:
        """How many callees gave each answer to each question of one campaign."""
        async with self._db.session() as session:
            rows = await session.execute(
                select(SurveyAnswer.question, SurveyAnswer.answer, func.count(SurveyAnswer.id))
                .where(SurveyAnswer.campaign_id == campaign_id)
                .group_by(SurveyAnswer.question, SurveyAnswer.answer)
                .order_by(SurveyAnswer.question, SurveyAnswer.answer)
            )
            return [AnswerCount(str(q), int(a), int(n)) for q, a, n in rows]

    async def answers(self, campaign_id: int) -> list[tuple[str, str, str, int, datetime]]:
        """Every answer of one campaign: (attempt, phone, question, answer, when), in order."""
        async with self._db.session() as session:
            rows = await session.execute(
                select(
                    SurveyAnswer.attempt_id,
                    SurveyAnswer.phone,
                    SurveyAnswer.question,
                    SurveyAnswer.answer,
                    SurveyAnswer.answered_at,
                )
                .where(SurveyAnswer.campaign_id == campaign_id)
                .order_by(SurveyAnswer.id)
            )
            return [(str(a), str(p), str(q), int(n), w) for a, p, q, n, w in rows]
