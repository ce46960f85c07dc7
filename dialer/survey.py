"""Survey campaigns (issue 22 item 1; R-105-R-108): the questions a callee answers by keypad,
the keys each question takes, and the branching from one answer to the next question.
Pure: no I/O.

A question is a 1-5 scale, yes/no (1 yes, 2 no: the keys of ``hotline.core.keys``) or a choice
of up to four options (1-4).  After an answer the survey goes to the question its ``next``
names for that answer (or for every answer), else to the following question; ``end`` ends it.
Branches only go forward, so every survey ends.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field

from hotline.core.keys import CONFIRM_KEY, REENTER_KEY

# ``next`` names this instead of a question: the survey ends (the thank-you is played).
END: Final = "end"
# A ``next`` key that applies to every answer without a branch of its own.
ANY_ANSWER: Final = "*"
MAX_CHOICES: Final = 4
# Played before a question is asked again (no answer key came).
REPEAT_PROMPT: Final = "campaign.survey.repeat"
SCALE_MAX: Final = 5
YES_ANSWER: Final = int(CONFIRM_KEY)
NO_ANSWER: Final = int(REENTER_KEY)

_QUESTION_ID: Final = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class QuestionType(StrEnum):
    SCALE = "scale"  # 1..5, five the best
    YES_NO = "yes_no"  # 1 yes, 2 no
    CHOICE = "choice"  # 1..choices (at most 4)


class Question(BaseModel):
    """One question: the catalogue prompt that asks it (naming the keys, R-054 wording),
    its type and where each answer leads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    prompt: str
    type: QuestionType
    # How many options a `choice` question offers (2..4); ignored by the other types.
    choices: Annotated[int, Field(ge=2, le=MAX_CHOICES)] = MAX_CHOICES
    # Answer ("1".."5" or "*") -> the id of the next question, or "end".
    next: dict[str, str] = Field(default_factory=dict)

    def model_post_init(self, _context: Any) -> None:
        if not _QUESTION_ID.match(self.id):
            raise ValueError(f"bad question id {self.id!r} (lowercase, digits, _)")
        allowed = {*self.answer_keys(), ANY_ANSWER}
        for answer in self.next:
            if answer not in allowed:
                raise ValueError(f"question {self.id}: {answer!r} is not one of its answers")

    def answer_keys(self) -> str:
        """The keys that answer this question."""
        if self.type is QuestionType.SCALE:
            return "".join(str(n) for n in range(1, SCALE_MAX + 1))
        if self.type is QuestionType.YES_NO:
            return f"{YES_ANSWER}{NO_ANSWER}"
        return "".join(str(n) for n in range(1, self.choices + 1))

    def answer(self, digit: str | None) -> int | None:
        """The answer a key gives (None: not one of this question's keys)."""
        if digit is None or len(digit) != 1 or digit not in self.answer_keys():
            return None
        return int(digit)


def check_questions(questions: tuple[Question, ...]) -> None:
    """ValueError unless the ids are unique and every branch names a later question or end."""
    position = {q.id: i for i, q in enumerate(questions)}
    if len(position) != len(questions):
        raise ValueError("question ids must be unique")
    for index, question in enumerate(questions):
        for answer, target in question.next.items():
            if target == END:
                continue
            if target not in position:
                raise ValueError(f"question {question.id}: {answer} leads to unknown {target!r}")
            if position[target] <= index:
                raise ValueError(
                    f"question {question.id}: {answer} leads back to {target!r} "
                    "(branches go forward only)"
                )


def next_question(questions: tuple[Question, ...], current: int, answer: int | None) -> int | None:
    """The index of the question after ``questions[current]`` answered ``answer`` (None: no
    answer given); None when the survey ends."""
    question = questions[current]
    target = question.next.get(str(answer)) if answer is not None else None
    if target is None:
        target = question.next.get(ANY_ANSWER)
    if target is None:
        return current + 1 if current + 1 < len(questions) else None
    if target == END:
        return None
    return next(i for i, q in enumerate(questions) if q.id == target)


def answer_text(question: Question, answer: int) -> str:
    """How the report names an answer (Russian)."""
    if question.type is QuestionType.YES_NO:
        return {YES_ANSWER: "да", NO_ANSWER: "нет"}.get(answer, str(answer))
    if question.type is QuestionType.SCALE:
        return f"{answer} из {SCALE_MAX}"
    return f"вариант {answer}"


def results_table(
    questions: tuple[Question, ...], counts: list[tuple[str, int, int]]
) -> list[dict[str, Any]]:
    """(question, answer, count) as report rows in the survey's order, every possible answer
    listed (zero if nobody gave it), each with its share of that question's answers."""
    by_question: dict[str, dict[int, int]] = {}
    for question_id, answer, count in counts:
        by_question.setdefault(question_id, {})[answer] = count
    rows: list[dict[str, Any]] = []
    for question in questions:
        given = by_question.pop(question.id, {})
        total = sum(given.values())
        answers = sorted({*(int(k) for k in question.answer_keys()), *given})
        for answer in answers:
            count = given.get(answer, 0)
            rows.append(
                {
                    "question": question.id,
                    "question_type": question.type.value,
                    "answer": answer,
                    "answer_text": answer_text(question, answer),
                    "count": count,
                    "share": round(100 * count / total, 1) if total else 0.0,
                }
            )
    return rows
