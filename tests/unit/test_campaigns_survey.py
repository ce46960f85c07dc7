"""Survey campaigns (issue 22 item 1; R-105-R-108): questions and their keys, the branching,
the scenario rules, the verdict, and a survey call's questions asked over a fake AGI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest
from pydantic import ValidationError

from dialer.model import TEMPLATES, CampaignKind, PositiveRule, Reason, Result, Scenario, Step
from dialer.outcome import Playback, answered_verdict
from dialer.repository import AttemptRecord
from dialer.survey import REPEAT_PROMPT, Question, QuestionType, check_questions, next_question
from dialer.survey_call import SurveyCall
from hotline.settings import Settings, SurveySettings
from hotline.store.calllog import CallLog
from hotline.transport.agi_call import AgiCall

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _q(qid: str, kind: QuestionType, **kw: Any) -> Question:
    return Question(id=qid, prompt=f"campaign.survey.{qid}", type=kind, **kw)


QUESTIONS = (
    _q("quality", QuestionType.SCALE),
    _q("resolved", QuestionType.YES_NO, next={"1": "end"}),
    _q("improve", QuestionType.CHOICE, choices=3, next={"*": "end"}),
    _q("channel", QuestionType.CHOICE),
)


def test_each_question_type_takes_its_own_keys() -> None:
    scale, yes_no, choice, four = QUESTIONS
    assert (
        scale.answer_keys() == "12345"
        and yes_no.answer_keys() == "12"
        and choice.answer_keys() == "123"
    )
    assert four.answer_keys() == "1234"
    assert scale.answer("5") == 5 and scale.answer("6") is None and scale.answer(None) is None
    assert yes_no.answer("3") is None and choice.answer("4") is None and four.answer("4") == 4
    assert scale.answer("#") is None and scale.answer("0") is None


def test_choices_are_two_to_four_and_branches_name_answers() -> None:
    with pytest.raises(ValidationError):
        _q("c", QuestionType.CHOICE, choices=5)
    with pytest.raises(ValidationError):
        _q("c", QuestionType.YES_NO, next={"3": "end"})
    with pytest.raises(ValidationError):
        _q("Bad-id", QuestionType.SCALE)


def test_branching_goes_where_the_answer_says_then_on_in_order() -> None:
    assert next_question(QUESTIONS, 0, 4) == 1
    assert next_question(QUESTIONS, 0, None) == 1
    assert next_question(QUESTIONS, 1, 1) is None  # resolved: the survey ends
    assert next_question(QUESTIONS, 1, 2) == 2
    assert next_question(QUESTIONS, 1, None) == 2
    assert next_question(QUESTIONS, 2, 3) is None  # "*": end
    assert next_question(QUESTIONS, 3, 1) is None  # the last question


def test_branches_go_forward_to_known_questions_only() -> None:
    check_questions(QUESTIONS)
    with pytest.raises(ValueError, match="back"):
        check_questions(
            (_q("a", QuestionType.SCALE), _q("b", QuestionType.YES_NO, next={"1": "a"}))
        )
    with pytest.raises(ValueError, match="unknown"):
        check_questions((_q("a", QuestionType.SCALE, next={"*": "zzz"}),))
    with pytest.raises(ValueError, match="unique"):
        check_questions((_q("a", QuestionType.SCALE), _q("a", QuestionType.SCALE)))


def test_a_survey_scenario_asks_questions_and_only_a_survey_does() -> None:
    with pytest.raises(ValidationError, match="at least one question"):
        Scenario(kind=CampaignKind.SURVEY, steps=(Step(prompt="campaign.intro"),))
    with pytest.raises(ValidationError, match="only a survey"):
        Scenario(
            kind=CampaignKind.DEBT,
            steps=(Step(prompt="campaign.intro", key=True),),
            questions=QUESTIONS,
        )
    survey = TEMPLATES[CampaignKind.SURVEY]
    assert survey.survey and survey.questions
    ids = survey.prompt_ids()
    assert {q.prompt for q in survey.questions} <= set(ids)
    assert REPEAT_PROMPT in ids and survey.thanks_prompt in ids


def test_the_template_prompts_are_in_the_catalogue() -> None:
    from hotline.speech.catalogue import Catalogue

    catalogue = Catalogue.load(Settings().paths.prompts_dir, "Энергосбыт")
    missing = [p for p in TEMPLATES[CampaignKind.SURVEY].prompt_ids() if p not in catalogue]
    assert missing == []


def test_a_survey_verdict_is_whether_every_question_on_the_path_was_answered() -> None:
    done = Playback(True, False, False, survey=True)
    half = Playback(False, False, False, survey=True)
    key = PositiveRule.KEY_CONTENT
    assert answered_verdict(key, done) == (Result.POSITIVE, Reason.SURVEY_COMPLETED)
    assert answered_verdict(key, half) == (Result.NEGATIVE, Reason.SURVEY_INCOMPLETE)
    machine = Playback(False, False, False, machine=True, survey=True)
    assert answered_verdict(key, machine) == (Result.NEGATIVE, Reason.MACHINE)


# --- A survey call over a fake AGI ---------------------------------------------------------------
@dataclass
class FakeAgi:
    # Key pressed during each prompt (None: heard to the end), then after it.
    during: list[str | None] = field(default_factory=list)
    after: list[str | None] = field(default_factory=list)
    played: list[str] = field(default_factory=list)

    @property
    def env(self) -> Any:
        return SimpleNamespace(uniqueid="a1", channel="Local/x")


class FakeLog:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any]] = []

    async def add_event(self, uniqueid: str, kind: str, value: str, detail: Any = None) -> None:
        self.events.append((kind, value, detail))


class Store:
    def __init__(self) -> None:
        self.answers: list[tuple[str, int]] = []
        self.completed: list[str] = []

    async def add(
        self, campaign_id: int, attempt_id: str, phone: str, question: str, answer: int, at: Any
    ) -> None:
        self.answers.append((question, answer))

    async def complete(self, attempt_id: str) -> None:
        self.completed.append(attempt_id)


async def _run(agi: FakeAgi, asks: int = 2) -> tuple[Store, int]:
    store = Store()

    async def play(
        _agi: AgiCall, _attempt: str, prompt: str, keys: str
    ) -> tuple[str | None, bool]:
        agi.played.append(prompt)
        digit = agi.during.pop(0) if agi.during else None
        return digit, digit is None

    async def wait_for_digit(timeout: float) -> str | None:
        return agi.after.pop(0) if agi.after else None

    fake = cast(Any, agi)
    fake.wait_for_digit = wait_for_digit
    call = SurveyCall(
        SurveySettings(asks=asks),
        store,
        cast(CallLog, FakeLog()),
        lambda: NOW,
        play,
        store.complete,
    )
    scenario = Scenario(
        kind=CampaignKind.SURVEY, steps=(Step(prompt="campaign.intro"),), questions=QUESTIONS
    )
    attempt = cast(AttemptRecord, SimpleNamespace(id="a1", campaign_id=1, phone="+79005571200"))
    answered = await call.run(cast(AgiCall, fake), attempt, scenario)
    return store, answered


async def test_keys_during_or_after_the_question_answer_it_and_steer_the_branch() -> None:
    # quality: 4 pressed during the question; resolved: 2 after it; improve: 3; then the end.
    agi = FakeAgi(during=["4", None, "3"], after=["2"])
    store, answered = await _run(agi)
    assert store.answers == [("quality", 4), ("resolved", 2), ("improve", 3)]
    assert answered == 3 and store.completed == ["a1"]
    assert agi.played == [
        "campaign.survey.quality",
        "campaign.survey.resolved",
        "campaign.survey.improve",
        "campaign.survey.thanks",
    ]


async def test_a_wrong_key_asks_again_once_and_silence_leaves_the_survey_incomplete() -> None:
    # quality: 9 is no answer -> «нажмите одну из названных клавиш» -> 5; resolved: silence
    # twice -> unanswered, on to improve (the "no" path) -> 1.
    agi = FakeAgi(during=["9", None, "5", None, None, None, "1"], after=[None, None, None])
    store, answered = await _run(agi)
    assert store.answers == [("quality", 5), ("improve", 1)]
    assert answered == 2 and store.completed == []
    assert agi.played[:3] == ["campaign.survey.quality", REPEAT_PROMPT, "campaign.survey.quality"]
    assert agi.played[-1] == "campaign.survey.thanks"


async def test_the_repeat_prompt_can_be_answered_at_once() -> None:
    agi = FakeAgi(during=[None, "2", "1"], after=[None])
    store, _answered = await _run(agi)
    assert store.answers[:2] == [("quality", 2), ("resolved", 1)]
