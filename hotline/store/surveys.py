"""Survey answers (``survey_answers``, issue 22 item 1; R-105-R-108): stored per question and
call; the frequency cap's question across every survey campaign and the operator-call rating
(one cap per customer, R-105); the results per question."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from hotline.store.db import Database
from hotline.store.models import RatingAnswer, SurveyAnswer

# Numbers looked up in one query.
_BATCH = 500


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
                forms: dict[str, str] = {}
                for phone in batch:
                    forms.update(caller_forms(phone))
                surveys = await session.execute(
                    select(SurveyAnswer.phone, func.max(SurveyAnswer.answered_at))
                    .where(SurveyAnswer.phone.in_(batch), SurveyAnswer.answered_at >= since)
                    .group_by(SurveyAnswer.phone)
                )
                ratings = await session.execute(
                    select(RatingAnswer.caller, func.max(RatingAnswer.rated_at))
                    .where(RatingAnswer.caller.in_(list(forms)), RatingAnswer.rated_at >= since)
                    .group_by(RatingAnswer.caller)
                )
                for number, at in [*surveys, *ratings]:
                    phone = forms.get(str(number), str(number))
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
