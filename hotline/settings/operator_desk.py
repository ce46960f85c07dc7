"""The operator's desk: the customer card, dispositions and after-call work (issue 17 items
1, 2, 3 and 5; R-033, R-035, R-037, R-038, R-040, R-042, R-044)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from hotline.settings.base import SECTION_CONFIG

# The seed's call types, the same codes as hotline.contact_center.kpi.CallType.
DispositionType = Literal["readings", "general", "personal"]


class DispositionResult(BaseModel):
    """One result an operator may pick after a call.  ``resolved``: the operator answered
    the caller without a specialist (first-contact resolution, R-040); ``in_fcr`` false:
    left out of that share altogether (an abusive call ended, R-042)."""

    model_config = SECTION_CONFIG

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    label: str = Field(min_length=1, max_length=120)
    resolved: bool = True
    in_fcr: bool = True


# The catalogue's results: the seeds name each of them.
DEFAULT_RESULTS: tuple[DispositionResult, ...] = (
    DispositionResult(key="answered", label="Вопрос решён", resolved=True),
    DispositionResult(key="readings_taken", label="Показания приняты", resolved=True),
    DispositionResult(
        key="appeal_registered", label="Обращение зарегистрировано", resolved=False
    ),
    DispositionResult(key="transferred", label="Переведён к специалисту", resolved=False),
    DispositionResult(
        key="redirected", label="Направлен в офис или на сайт", resolved=False
    ),
    DispositionResult(key="callback", label="Обещан обратный звонок", resolved=False),
    DispositionResult(
        key="abusive_ended",
        label="Звонок прекращён после предупреждения",
        resolved=False,
        in_fcr=False,
    ),
)


class DeskSettings(BaseModel):
    model_config = SECTION_CONFIG

    # the operator's "request and search of information about the customer" takes 45 s
    # ([000]; [004]: up to 1 min): from the answer to the card shown in the browser.
    card_lookup_target: int = Field(default=45, ge=1, le=600)
    # How many earlier contacts the card lists, newest first.
    card_history: int = Field(default=10, ge=1, le=100)
    # operators answer 90 % of requests themselves (first-contact resolution).
    fcr_target: float = Field(default=0.9, ge=0.0, le=1.0)
    # after-call work takes up to 5 min; then the operator is available again.
    wrapup_seconds: int = Field(default=300, ge=0, le=3600)
    # Simulated operators (demo, tests) answer scripted calls back to back: no after-call
    # work for them unless this is on.
    wrapup_simulated: bool = False
    # the results an operator picks after a call.
    results: tuple[DispositionResult, ...] = DEFAULT_RESULTS

    @model_validator(mode="after")
    def _unique_keys(self) -> DeskSettings:
        keys = [r.key for r in self.results]
        if not keys or len(set(keys)) != len(keys):
            raise ValueError("desk.results: at least one result, each key once")
        return self

    def result(self, key: str) -> DispositionResult | None:
        return next((r for r in self.results if r.key == key), None)
