"""Settings of the appeal register (issue 16): the classifier, the units appeals are handed to,
the answer deadlines and the voicemail box.

Every deadline is a figure from the seeds; where the seeds differ, the default is the one the
requirements catalogue proposes (§24 (a)) and the others are a setting away.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from hotline.settings.base import SECTION_CONFIG

KEY = r"^[a-z][a-z0-9_]*$"


class _Section(BaseModel):
    model_config = SECTION_CONFIG


class Deadline(_Section):
    """``days`` working days of the Russian production calendar, or calendar days."""

    days: int = Field(gt=0, le=366)
    working: bool = True


class Topic(_Section):
    """A topic of the classifier, what it is called and the unit that answers it (R-149)."""

    title: str = Field(min_length=1, max_length=200)
    unit: str = Field(pattern=KEY)


def _topics() -> dict[str, Topic]:
    return {
        "readings": Topic(title="Показания приборов учёта", unit="billing"),
        "bills": Topic(title="Счета и начисления", unit="billing"),
        "debt": Topic(title="Задолженность", unit="billing"),
        "outages": Topic(title="Отключения", unit="network"),
        "quality": Topic(title="Качество электроснабжения", unit="network"),
        "connection": Topic(title="Подключение", unit="connection"),
        "contract": Topic(title="Договор", unit="contracts"),
        "service": Topic(title="Обслуживание", unit="front_office"),
        # «Служба доверия» goes straight to the head of the Security Service.
        "trust": Topic(title="Служба доверия", unit="security"),
        "other": Topic(title="Другое", unit="front_office"),
    }


def _categories() -> dict[str, str]:
    # the forms of an appeal and of feedback.
    return {
        "question": "Вопрос",
        "request": "Заявление",
        "complaint": "Жалоба",
        "claim": "Претензия",
        "suggestion": "Предложение",
        "thanks": "Благодарность",
    }


def _unit_titles() -> dict[str, str]:
    return {
        "front_office": "Фронт-офис",
        "billing": "Расчётный отдел",
        "network": "Сетевая служба",
        "connection": "Отдел технологического присоединения",
        "contracts": "Договорной отдел",
        "security": "Служба доверия",
    }


def _deadlines() -> dict[str, Deadline]:
    # Keys: "category/topic" first, then "category", then ``default_deadline``.
    return {
        # Catalogue #39 ([004] 7.4): a complaint about the quality of supply, 3 working days
        # (household customers; 30 days for others is the default below).
        "complaint/quality": Deadline(days=3, working=True),
        # Catalogue #41 ([004]): a debt-information request, 5 working days (households).
        "question/debt": Deadline(days=5, working=True),
        "request/debt": Deadline(days=5, working=True),
        # Catalogue #46 ([000]): feedback (thanks, suggestions) acted upon within 14 days.
        "suggestion": Deadline(days=14, working=False),
        "thanks": Deadline(days=14, working=False),
    }


class AppealSettings(_Section):
    """The appeal register (R-113-R-123, R-149)."""

    # The classifier: category -> its name in Russian.
    categories: dict[str, str] = Field(default_factory=_categories)
    # topic -> its name and the unit that answers it.
    topics: dict[str, Topic] = Field(default_factory=_topics)
    # appeals of this topic bypass the front office and only roles allowed trust
    # appeals see them.
    trust_topic: str = Field(default="trust", pattern=KEY)
    # who registers and classifies (the front office) before handing over.
    front_office_unit: str = Field(default="front_office", pattern=KEY)
    # urgency categories, most urgent first; the last one is the default.
    urgencies: tuple[str, ...] = ("emergency", "urgent", "normal")
    # What the console calls the units and urgencies above (their keys stay in the store and
    # in downloads); a key without a title is shown as it is.
    unit_titles: dict[str, str] = Field(default_factory=_unit_titles)
    urgency_titles: dict[str, str] = Field(
        default_factory=lambda: {
            "emergency": "аварийное",
            "urgent": "срочное",
            "normal": "обычное",
        }
    )
    # catalogue #37, 30 calendar days ([003]); [000] 10+10 (21 in all), [001] 15
    # working days, [004] 3-5 / 10-30 working days are a setting away.
    default_deadline: Deadline = Field(default_factory=lambda: Deadline(days=30, working=False))
    # per "category/topic" or "category" (the first that matches wins).
    deadlines: dict[str, Deadline] = Field(default_factory=_deadlines)
    # R-111 (catalogue #44, [001]): a voicemail is answered within 5 working days when a phone
    # was left, 20 working days when an address was left ([000]: 14 days).
    voicemail_phone_deadline: Deadline = Field(default_factory=lambda: Deadline(days=5))
    voicemail_address_deadline: Deadline = Field(default_factory=lambda: Deadline(days=20))
    # R-116 (catalogue #38, [004] 59-FZ): an extension is at most this many days.
    extension_max_days: int = Field(default=30, gt=0, le=366)
    # R-122 (catalogue #43, [003]): an illegible appeal or one whose substance is unclear is
    # reported to the customer within this many days.
    not_considered_notice_days: int = Field(default=7, gt=0, le=366)
    # reply channels in the order tried after the customer's choice and the channel
    # the appeal came by; "post" (registered letter) proves delivery ([003]).
    reply_fallbacks: tuple[str, ...] = ("post",)

    # --- Voicemail (R-111) ---------------------------------------------------------------------
    # Outside operator hours the closed message offers voicemail on this key (after the
    # callback offer on 1); None: not offered there (the menu action `voicemail` still is).
    voicemail_key: str | None = Field(default="2", pattern=r"^[1-9]$")
    # The topic keys the caller chooses from (at most 4 options per level, R-016); the
    # prompt voicemail.topics names them.
    voicemail_topics: dict[str, str] = Field(
        default_factory=lambda: {"1": "readings", "2": "bills", "3": "outages", "4": "other"}
    )
    # The category a voicemail is registered in.
    voicemail_category: str = Field(default="question", pattern=KEY)
    # The longest message, and the silence that ends it (seconds); # ends it at once.
    voicemail_max_seconds: int = Field(default=120, gt=0, le=600)
    voicemail_silence_seconds: int = Field(default=5, gt=0, le=60)

    @model_validator(mode="after")
    def _consistent(self) -> AppealSettings:
        if self.trust_topic not in self.topics:
            raise ValueError(f"appeals.trust_topic {self.trust_topic!r} is not a topic")
        if not self.urgencies:
            raise ValueError("appeals.urgencies: give at least one urgency")
        if self.voicemail_category not in self.categories:
            raise ValueError(f"appeals.voicemail_category {self.voicemail_category!r} unknown")
        for key, topic in self.voicemail_topics.items():
            if topic not in self.topics or len(key) != 1 or not key.isdigit():
                raise ValueError(f"appeals.voicemail_topics: {key!r}: {topic!r} is no topic")
        for key in self.deadlines:
            category, _, topic = key.partition("/")
            if category not in self.categories or (topic and topic not in self.topics):
                raise ValueError(f"appeals.deadlines: {key!r} names no category/topic")
        return self
