"""The questions of a survey call (issue 22 item 1; R-105-R-108): each asked, answered by
keypad (the key may cut the question short), stored at once with the call and the customer's
number, then the next question by the branching; every question on the path answered marks
the attempt complete (positive)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from dialer.live import Clock
from dialer.model import Scenario
from dialer.repository import AttemptRecord
from dialer.survey import REPEAT_PROMPT, Question, next_question
from hotline.settings import SurveySettings
from hotline.store.calllog import CallLog
from hotline.store.enums import EventKind
from hotline.transport.agi_call import AgiCall

# (agi, attempt id, prompt id, escape keys) -> (the digit pressed, heard to the end)
PlayPrompt = Callable[[AgiCall, str, str, str], Awaitable[tuple[str | None, bool]]]


class Answers(Protocol):
    async def add(
        self,
        campaign_id: int,
        attempt_id: str,
        phone: str,
        question: str,
        answer: int,
        answered_at: datetime,
    ) -> None: ...


class Completion(Protocol):
    async def __call__(self, attempt_id: str) -> None: ...


class SurveyCall:
    def __init__(
        self,
        settings: SurveySettings,
        answers: Answers,
        call_log: CallLog,
        clock: Clock,
        play: PlayPrompt,
        completed: Completion,
    ) -> None:
        self._settings = settings
        self._answers = answers
        self._call_log = call_log
        self._clock = clock
        self._play = play
        self._completed = completed

    async def run(self, agi: AgiCall, attempt: AttemptRecord, scenario: Scenario) -> int:
        """Ask the questions on the callee's path; returns how many were answered."""
        questions = scenario.questions
        current: int | None = 0
        answered = 0
        complete = True
        while current is not None:
            question = questions[current]
            answer = await self._ask(agi, attempt.id, question)
            if answer is None:
                complete = False
            else:
                answered += 1
                await self._answers.add(
                    attempt.campaign_id,
                    attempt.id,
                    attempt.phone,
                    question.id,
                    answer,
                    self._clock(),
                )
            await self._call_log.add_event(
                attempt.id,
                EventKind.DIGITS,
                "" if answer is None else str(answer),
                {"survey": question.id},
            )
            current = next_question(questions, current, answer)
        if complete:
            await self._completed(attempt.id)
        await self._play(agi, attempt.id, scenario.thanks_prompt, "")
        return answered

    async def _ask(self, agi: AgiCall, attempt_id: str, question: Question) -> int | None:
        keys = question.answer_keys()
        for ask in range(self._settings.asks):
            digit: str | None = None
            if ask:
                digit, _full = await self._play(agi, attempt_id, REPEAT_PROMPT, keys)
            if digit is None:
                digit, _full = await self._play(agi, attempt_id, question.prompt, keys)
            if digit is None:
                digit = await agi.wait_for_digit(self._settings.answer_wait_seconds)
            answer = question.answer(digit)
            if answer is not None:
                return answer
        return None
