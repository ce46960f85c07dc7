"""What a campaign is made of: its kind, its scenario (what the callee hears) and its rules
(when to call, how often to retry, what counts as positive).  Pure: no I/O."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dialer.survey import REPEAT_PROMPT, Question, QuestionType, check_questions
from dialer.values import SayKind as SayKind
from dialer.values import VariableError as VariableError
from dialer.values import email_value
from dialer.values import parse_value as parse_value
from dialer.values import phrase as phrase
from hotline.contact_center.hours import HoursError, parse_hours
from hotline.core.vocabulary import label
from hotline.speech.greeting import greeting_variants


class CampaignKind(StrEnum):
    DEBT = "debt"
    OUTAGE = "outage"
    TARIFF = "tariff"
    CUSTOM = "custom"
    SURVEY = "survey"  # questions answered by keypad (R-105-R-108; dialer.survey)


class CampaignState(StrEnum):
    DRAFT = "draft"  # being prepared; editing resets an approval
    APPROVED = "approved"  # approved by someone other than the author; may start
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"  # stopped by a person; cannot resume
    FINISHED = "finished"  # every contact reached a final result


class TargetState(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    CALLING = "calling"  # an attempt is in flight
    DONE = "done"  # final result reached


class AttemptStatus(StrEnum):
    DIALING = "dialing"  # written before the Originate is sent
    ANSWERED = "answered"
    ENDED = "ended"
    UNKNOWN = "unknown"  # lost track (engine restart); never redialled within the gap


class Result(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"


class Reason(StrEnum):
    """Why an attempt (and, if final, a contact) is what it is."""

    DELIVERED = "delivered"  # positive: key content fully played
    CONFIRMED = "confirmed"  # positive: the callee pressed 1
    ANSWERED = "answered"  # positive under the "answered" rule
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    INVALID_NUMBER = "invalid_number"
    FAILED = "failed"  # congestion, channel unavailable, trunk refused
    HUNG_UP_EARLY = "hung_up_early"  # hung up before the key content was fully played
    NO_CONFIRMATION = "no_confirmation"
    TRANSFERRED = "transferred"  # pressed 0 before the key content was through
    # Progressive (issue 22 item 2): an operator took the callee; or the callee hung up in
    # the queue before one did (abandoned, counted against dialer.progressive's cap).
    OPERATOR_TALKED = "operator_talked"
    ABANDONED = "abandoned"
    UNKNOWN = "unknown"  # outcome lost in an engine restart
    DO_NOT_CALL = "do_not_call"  # added to the do-not-call list after the start
    EXPIRED = "expired"  # the campaign ended (end time, deliver-by, stop) first
    RENDER_FAILED = "render_failed"  # the personal audio could not be rendered
    EMAIL_SENT = "email_sent"  # positive: the mail server accepted the message
    EMAIL_FAILED = "email_failed"  # the mail server refused it, or none is configured
    MACHINE = "machine"  # an answering machine answered (AMD, R-085); nothing left on it
    # The message was left on an answering machine after the beep (rules
    # `answering_machine: leave_message`): never positive, the customer may not hear it.
    LEFT_ON_MACHINE = "left_on_machine"
    # SMS: the contact chose SMS, or a final negative call fell back to it.
    SMS_SENT = "sms_sent"  # positive: Kannel (the SMSC) accepted it, no delivery report yet
    SMS_DELIVERED = "sms_delivered"  # positive: the delivery report says the phone has it
    SMS_FAILED = "sms_failed"  # refused, undeliverable, too long, or SMS is not set up
    # Surveys (R-105-R-108): every question on the callee's path answered, or not; and a
    # customer surveyed (or rated an operator call) within the frequency cap, never called.
    SURVEY_COMPLETED = "survey_completed"
    SURVEY_INCOMPLETE = "survey_incomplete"
    SURVEY_CAP = "survey_cap"


# What the console's campaign report calls each reason (the one vocabulary, issue 18).
REASON_LABELS: Final[dict[Reason, str]] = {r: label("Reason", r) for r in Reason}


class PositiveRule(StrEnum):
    AUTO = "auto"  # "confirmation" if the scenario asks to press 1, else "key_content"
    KEY_CONTENT = "key_content"
    CONFIRMATION = "confirmation"
    ANSWERED = "answered"


# --- Scenario -----------------------------------------------------------------------------------
# The intro greets by the callee's local time: its variants are campaign.intro.morning, .day
# and .evening (R-048, hotline.speech.greeting).
INTRO_PROMPT: Final = "campaign.intro"


_VAR_NAME: Final = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_PLACEHOLDER: Final = re.compile(r"{([a-z][a-z0-9_]*)}")


class Step(BaseModel):
    """One thing the callee hears: a catalogue prompt, or a personal value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str | None = None
    say: SayKind | None = None
    var: str | None = None
    # The key content: positive needs every key step fully played.
    key: bool = False

    @field_validator("var")
    @classmethod
    def _var_name(cls, value: str | None) -> str | None:
        if value is not None and not _VAR_NAME.match(value):
            raise ValueError(f"bad variable name {value!r} (lowercase, digits, _)")
        return value

    def model_post_init(self, _context: Any) -> None:
        if (self.prompt is None) == (self.say is None):
            raise ValueError("a step has either `prompt` or `say` (with `var`)")
        if self.say is not None and self.var is None:
            raise ValueError(f"`say: {self.say}` needs `var`")


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: CampaignKind
    steps: Annotated[tuple[Step, ...], Field(min_length=1)]
    # Ask "press 1 if you heard this message" after the steps.
    confirm: bool = False
    confirm_prompt: str = "campaign.press1_heard"
    operator_prompt: str | None = "campaign.press0_operator"
    # Offered instead outside operator hours when the rules take callbacks.
    callback_prompt: str = "campaign.press0_callback"
    callback_accepted_prompt: str = "operator.callback.accepted"
    goodbye_prompt: str = "campaign.thanks"
    # The e-mail variant: {variable} and {company} placeholders.
    email_subject: str | None = None
    email_body: str | None = None
    # The SMS variant, with the same placeholders; its length is checked against
    # sms.max_chars / sms.max_parts at campaign creation and for every contact.
    sms_text: str | None = None
    # A survey (kind `survey`): the questions asked after the steps, then the thank-you
    # (instead of the goodbye).
    questions: tuple[Question, ...] = ()
    thanks_prompt: str = "campaign.survey.thanks"

    def model_post_init(self, _context: Any) -> None:
        if self.kind is CampaignKind.SURVEY:
            if not self.questions:
                raise ValueError("a survey asks at least one question (`questions`)")
            check_questions(self.questions)
        elif self.questions:
            raise ValueError("only a survey (kind: survey) asks questions")
        elif not any(step.key for step in self.steps) and not self.confirm:
            raise ValueError("mark the key content (`key: true`) or ask to confirm with 1")
        known = {*self.variables(), "company"}
        texts = {"e-mail": (self.email_subject, self.email_body), "SMS": (self.sms_text,)}
        for what, parts in texts.items():
            for name in _PLACEHOLDER.findall(" ".join(p or "" for p in parts)):
                if name not in known:
                    raise ValueError(f"{what} text uses {{{name}}}, which no step provides")

    @property
    def survey(self) -> bool:
        return self.kind is CampaignKind.SURVEY

    def email(self, variables: dict[str, str], company: str) -> tuple[str, str] | None:
        """(subject, body) with the contact's values, or None without an e-mail variant."""
        if not self.email_subject or not self.email_body:
            return None
        kinds = self.variables()
        values = {k: email_value(kinds[k], v) for k, v in variables.items() if k in kinds}
        values["company"] = company
        return self.email_subject.format_map(values), self.email_body.format_map(values)

    def variables(self) -> dict[str, SayKind]:
        return {s.var: s.say for s in self.steps if s.var is not None and s.say is not None}

    def prompt_ids(self) -> list[str]:
        ids = [s.prompt for s in self.steps if s.prompt is not None]
        if INTRO_PROMPT in ids:
            ids += [v for v in greeting_variants(INTRO_PROMPT) if v != INTRO_PROMPT]
        ids += [p for p in (self.operator_prompt, self.goodbye_prompt) if p]
        if self.confirm:
            ids.append(self.confirm_prompt)
        if self.operator_prompt:
            ids += [self.callback_prompt, self.callback_accepted_prompt]
        if self.survey:
            ids += [q.prompt for q in self.questions] + [REPEAT_PROMPT, self.thanks_prompt]
        return ids


def _p(prompt: str) -> Step:
    return Step(prompt=prompt)


def _s(kind: SayKind, var: str, key: bool = False) -> Step:
    return Step(say=kind, var=var, key=key)


# Ready-made scenarios per kind (`hotline scenario create --kind debt`); wording in the catalogue.
TEMPLATES: Final[dict[CampaignKind, Scenario]] = {
    CampaignKind.DEBT: Scenario(
        kind=CampaignKind.DEBT,
        steps=(
            _p(INTRO_PROMPT),
            _p("campaign.debt.amount"),
            _s(SayKind.MONEY, "amount", key=True),
            _p("campaign.debt.due"),
            _s(SayKind.DATE, "due_date"),
            _p("campaign.debt.ways"),
        ),
        email_subject="{company}: напоминание об оплате",
        email_body=(
            "Здравствуйте!\n\nСумма к оплате по Вашему лицевому счёту: {amount}. "
            "Просим оплатить до {due_date}.\nОплатить можно в личном кабинете, в мобильном "
            "приложении или в отделениях банков. Если Вы уже оплатили, спасибо.\n\n{company}"
        ),
    ),
    # Everything R-089 lists: organisation, type of work, reason, date and times (so how
    # long), address, the person or unit responsible, a contact phone; every one required.
    CampaignKind.OUTAGE: Scenario(
        kind=CampaignKind.OUTAGE,
        steps=(
            _p(INTRO_PROMPT),
            _p("campaign.outage.planned"),
            _s(SayKind.DATE, "outage_date", key=True),
            _p("campaign.outage.address"),
            _s(SayKind.TEXT, "address", key=True),
            # «Работы начнутся в девять часов ровно»: the times read in the accusative, which
            # is the nominative readout («с девять часов» would be wrong Russian).
            _p("campaign.outage.from"),
            _s(SayKind.TIME, "time_from", key=True),
            _p("campaign.outage.to"),
            _s(SayKind.TIME, "time_to", key=True),
            _p("campaign.outage.organisation"),
            _s(SayKind.TEXT, "organisation"),
            _p("campaign.outage.work"),
            _s(SayKind.TEXT, "work_type"),
            _p("campaign.outage.reason"),
            _s(SayKind.TEXT, "reason"),
            _p("campaign.outage.responsible"),
            _s(SayKind.TEXT, "responsible"),
            _p("campaign.outage.phone"),
            _s(SayKind.PHONE, "contact_phone"),
        ),
        email_subject="{company}: плановое отключение электроэнергии {outage_date}",
        email_body=(
            "Здравствуйте!\n\nСообщаем о плановом отключении электроэнергии {outage_date} "
            "с {time_from} до {time_to} по адресу: {address}.\n"
            "Работы проводит {organisation}. Вид работ: {work_type}. Причина: {reason}.\n"
            "Ответственный за проведение работ: {responsible}. "
            "Телефон для справок: {contact_phone}.\n\n{company}"
        ),
    ),
    CampaignKind.TARIFF: Scenario(
        kind=CampaignKind.TARIFF,
        steps=(
            _p(INTRO_PROMPT),
            _p("campaign.tariff.change"),
            _s(SayKind.DATE, "tariff_date", key=True),
        ),
        confirm=True,
        email_subject="{company}: изменение тарифов",
        email_body=(
            "Здравствуйте!\n\nСообщаем об изменении тарифов на электроэнергию с "
            "{tariff_date}.\n\n{company}"
        ),
    ),
    # R-105-R-108: a satisfaction survey; low marks and unsolved questions ask what to improve.
    CampaignKind.SURVEY: Scenario(
        kind=CampaignKind.SURVEY,
        steps=(_p(INTRO_PROMPT), _p("campaign.survey.about")),
        operator_prompt=None,
        questions=(
            Question(id="quality", prompt="campaign.survey.quality", type=QuestionType.SCALE),
            Question(
                id="resolved",
                prompt="campaign.survey.resolved",
                type=QuestionType.YES_NO,
                next={"1": "channel"},
            ),
            Question(
                id="improve",
                prompt="campaign.survey.improve",
                type=QuestionType.CHOICE,
                next={"*": "end"},
            ),
            Question(
                id="channel",
                prompt="campaign.survey.channel",
                type=QuestionType.CHOICE,
                choices=3,
            ),
        ),
    ),
}


# --- Rules --------------------------------------------------------------------------------------
class ClosedOperator(StrEnum):
    """What 0 does on a campaign call while the operators are not working (R-081)."""

    IGNORE = "ignore"  # no offer, and 0 does nothing
    CALLBACK = "callback"  # the callee may leave a callback request with 0


DEFAULT_RETRY_MINUTES: Final[dict[Reason, float | None]] = {
    Reason.NO_ANSWER: 120,
    Reason.BUSY: 15,
    Reason.FAILED: 30,
    Reason.HUNG_UP_EARLY: 240,
    Reason.NO_CONFIRMATION: 240,
    Reason.UNKNOWN: 60,
    Reason.INVALID_NUMBER: None,  # never retried
    Reason.TRANSFERRED: None,  # talked to a person
    # a machine answered; call again later, when the person may be there.
    Reason.MACHINE: 120,
    Reason.LEFT_ON_MACHINE: 240,
    # A survey left half-way: called again later, unless an answer given puts the customer
    # under the frequency cap (R-105; checked again when dialling).
    Reason.SURVEY_INCOMPLETE: 240,
    Reason.SURVEY_CAP: None,
    Reason.ABANDONED: 60,
}


class DialMode(StrEnum):
    """Who takes an answered campaign call (issue 22 item 2)."""

    AGENTLESS = "agentless"  # the scenario plays; 0 may reach an operator
    PROGRESSIVE = "progressive"  # dialled for a free operator, who takes the callee


class MachineAction(StrEnum):
    """What a campaign call does when an answering machine answers (R-085)."""

    HANG_UP = "hang_up"  # hang up: negative ("machine"), retried after its own delay
    # wait for the beep (silence), play the message, hang up: "left_on_machine", negative
    LEAVE_MESSAGE = "leave_message"


class CampaignRules(BaseModel):
    """Per-campaign rules; pacing fields may change while the campaign runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    positive_rule: PositiveRule = PositiveRule.AUTO
    max_attempts: Annotated[int, Field(ge=1, le=20)] = 3
    # Minutes until a retry, per negative reason; None: no retry for that reason.
    retry_minutes: dict[Reason, float | None] = Field(
        default_factory=lambda: dict(DEFAULT_RETRY_MINUTES)
    )
    # The callee's allowed hours, in the contact's time zone (R: 10:00-20:00 on working days).
    weekday_hours: str = "10:00-20:00"
    saturday_hours: str = ""
    sunday_hours: str = ""
    holiday_hours: str = ""
    # For contacts without a time zone of their own (never guessed from the number).  None:
    # the installation's zone (hours.timezone, R-086); a zone here overrides it for this
    # campaign, and the campaign's page and `hotline campaign show` say so.
    timezone: str | None = None
    max_channels: Annotated[int, Field(ge=0)] = 5
    # A trunk from dialer.trunks; None: the default trunk (dialer.trunk).
    trunk: str | None = None
    # E-mail the message after a final negative call to contacts with an address.
    email_fallback: bool = True
    # SMS the message after a final negative call (R-092; needs the scenario's sms_text).
    sms_fallback: bool = False
    # Outside operator hours (the schedule in force, overrides and holidays included) the
    # "press 0 for an operator" offer is not played: "ignore" leaves 0 without effect,
    # "callback" offers and takes a callback request on 0 instead.
    operator_closed: ClosedOperator = ClosedOperator.IGNORE
    # Call only the numbers in the customer's contract: every contact must name an
    # account whose registered phones include its number; other rows are dropped at import,
    # with the reason.  None: on for debt campaigns, off for the others.
    contract_numbers_only: bool | None = None
    # An answering machine answered (AMD, R-085): hang up (negative "machine", retried after
    # retry_minutes["machine"]) or leave the message after the beep (negative
    # "left_on_machine", never positive).
    answering_machine: MachineAction = MachineAction.HANG_UP
    # Outage notices: deliver before this time; contacts closest to it go first.
    deliver_by: dt.datetime | None = None
    # Progressive: dial only for free operators of `queue` (None: the operators' queue),
    # `ratio` calls per free operator (1 to 3), back to 1 while the abandon rate is at the cap
    # (dialer.progressive.max_abandon_percent); the answered callee goes to the operator.
    mode: DialMode = DialMode.AGENTLESS
    queue: str | None = None
    ratio: Annotated[float, Field(ge=1.0, le=3.0)] = 1.0

    @field_validator("weekday_hours", "saturday_hours", "sunday_hours", "holiday_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        try:
            parse_hours(value, "calling hours")
        except HoursError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia": IsADirectoryError
                raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Krasnoyarsk)") from None
        return value

    def contact_zone(self, default_zone: str) -> str:
        """The zone of a contact without one: this campaign's override, else the
        installation's ``default_zone``."""
        return self.timezone or default_zone

    def numbers_from_contract(self, kind: CampaignKind) -> bool:
        """Whether contacts must be called on their account's registered phones only."""
        if self.contract_numbers_only is None:
            return kind is CampaignKind.DEBT
        return self.contract_numbers_only

    def zone_overridden(self, default_zone: str) -> bool:
        """Whether this campaign calls contacts without a zone in a zone of its own."""
        return self.timezone is not None and self.timezone != default_zone

    def retry_delay(self, reason: Reason) -> dt.timedelta | None:
        minutes = self.retry_minutes.get(reason, DEFAULT_RETRY_MINUTES.get(reason))
        return None if minutes is None else dt.timedelta(minutes=minutes)

    def effective_positive_rule(self, scenario: Scenario) -> PositiveRule:
        if self.positive_rule is PositiveRule.AUTO:
            return PositiveRule.CONFIRMATION if scenario.confirm else PositiveRule.KEY_CONTENT
        return self.positive_rule


def load_rules(data: dict[str, Any] | None) -> CampaignRules:
    return CampaignRules.model_validate(data or {})


def load_scenario(data: dict[str, Any]) -> Scenario:
    return Scenario.model_validate(data)


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=False)


ScenarioError = ValidationError
Rule = Literal["auto", "key_content", "confirmation", "answered"]
