"""The operator's desk and the supervisor's eyes (issue 17 items 4, 7, 8): transfers,
supervisor monitoring and long-call warnings, voice quality."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG


class TransferSettings(BaseModel):
    """Transfers of a caller by an operator (R-030, R-041)."""

    model_config = SECTION_CONFIG

    # connection to a specialist within 40 s ("Соединения со специалистом 40 сек.");
    # the queue report's transfer KPIs measure every transfer's answer against it.
    answer_target: int = Field(default=40, gt=0)
    # seconds a named specialist's or an outside number's phone rings (about three
    # rings) before the caller goes back to their department's queue, never left unanswered.
    ring_timeout: int = Field(default=15, gt=0, le=120)
    # The reasons an operator picks from (R-041: a question outside their competence); the
    # console also accepts its own words.
    reasons: tuple[str, ...] = (
        "вопрос вне компетенции оператора",
        "нужен специалист по расчётам",
        "аварийная ситуация",
        "просьба абонента",
    )


class MonitorSettings(BaseModel):
    """The supervisor's eyes on the wallboard (issue 17 item 7)."""

    model_config = SECTION_CONFIG

    # a conversation in a legal-entity department should last about 6 minutes and
    # must not exceed 20 («составляет 6 минут и не должна превышать 20 минут»); the
    # wallboard marks calls past each (seconds).
    long_call_warning: int = Field(default=360, gt=0)
    long_call_limit: int = Field(default=1200, gt=0)
    # The departments (queue.departments ids, or the operators' own) these limits apply to;
    # empty: every department (the contact centre's own limits are its internal documents',
    # R-039, so a supervisor may narrow them to the legal-entity lines).
    long_call_departments: tuple[str, ...] = ()


class QualitySettings(BaseModel):
    """Voice quality per call (issue 17 item 8; R-135 monitors R-132 and R-133): the RTP
    statistics of each SIP call, flagged when over a threshold."""

    model_config = SECTION_CONFIG

    # IP packet loss at most 0.3 % («потери IP пакетов ... не должны превышать 0,3%»),
    # either direction.
    max_loss: float = Field(default=0.003, ge=0.0, le=1.0)
    # «время доставки пакетов ... не должно превышать 150 мс», compared with half the
    # RTCP round-trip time.
    max_delay_ms: float = Field(default=150.0, gt=0.0)
    # No seed value: jitter past this (ms, either direction) is heard as broken speech (the
    # common engineering limit for G.711; R-135 asks for jitter to be watched).
    max_jitter_ms: float = Field(default=30.0, gt=0.0)
