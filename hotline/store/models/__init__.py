"""Database tables, one module per domain.  Alembic migrations in ``migrations/`` must match
these exactly (``Base.metadata`` holds every table once all modules are imported, which this
package does).

Enums are stored as their string values (no native PostgreSQL enum and no CHECK constraint),
so adding an outcome later needs no table rebuild on SQLite.
"""

from __future__ import annotations

from hotline.store.models.accounts import Account, AccountPhone, Meter, Reading
from hotline.store.models.appeals import Appeal, AppealCounter, AppealEvent, AppealLink
from hotline.store.models.attempt_rollups import (
    AttemptRollup,
    AttemptRollupBucket,
    AttemptRollupMark,
)
from hotline.store.models.base import ENUM_LENGTH, NAMING_CONVENTION, Base, JsonDocument, str_enum
from hotline.store.models.calls import Call, CallEvent, IvrRollup, IvrRollupBucket, IvrRollupMark
from hotline.store.models.campaigns import (
    Campaign,
    CampaignTarget,
    Contact,
    ContactList,
    DialAttempt,
    DialerLimit,
    DncNumber,
    Scenario,
)
from hotline.store.models.contact_center import (
    CalendarOverride,
    Callback,
    CallbackAttempt,
    EmergencyState,
    Operator,
    QueueEvent,
    Recording,
    RecordingAccess,
)
from hotline.store.models.desk import CallDisposition, CardView, OperatorPause
from hotline.store.models.knowledge import KbArticle, KbTopic
from hotline.store.models.menus import MenuDraft, MenuVersion
from hotline.store.models.outages import Outage
from hotline.store.models.quality import CallQuality
from hotline.store.models.queue_rollups import (
    QueueRollup,
    QueueRollupBucket,
    QueueRollupMark,
    QueueRollupRing,
)
from hotline.store.models.ratings import RatingAnswer
from hotline.store.models.schedules import CampaignSchedule, CampaignScheduleRun
from hotline.store.models.sms import SmsEvent, SmsEventKind, SmsMessage, SmsStatus
from hotline.store.models.surveys import SurveyAnswer
from hotline.store.models.transfers import CallTransfer, TransferKind, TransferTarget
from hotline.store.models.users import AuditEntry, LoginThrottle, User, WebSession
from hotline.store.models.webhooks import WebhookDelivery, WebhookDeliveryStatus, WebhookEventRow
from hotline.store.models.workers import DialerPacing, EngineWorker, NodeLease

__all__ = [
    "ENUM_LENGTH",
    "NAMING_CONVENTION",
    "Account",
    "AccountPhone",
    "Appeal",
    "AppealCounter",
    "AppealEvent",
    "AppealLink",
    "AttemptRollup",
    "AttemptRollupBucket",
    "AttemptRollupMark",
    "AuditEntry",
    "Base",
    "CalendarOverride",
    "Call",
    "CallDisposition",
    "CallEvent",
    "CallQuality",
    "CallTransfer",
    "Callback",
    "CallbackAttempt",
    "Campaign",
    "CampaignSchedule",
    "CampaignScheduleRun",
    "CampaignTarget",
    "CardView",
    "Contact",
    "ContactList",
    "DialAttempt",
    "DialerLimit",
    "DialerPacing",
    "DncNumber",
    "EmergencyState",
    "EngineWorker",
    "IvrRollup",
    "IvrRollupBucket",
    "IvrRollupMark",
    "JsonDocument",
    "KbArticle",
    "KbTopic",
    "LoginThrottle",
    "MenuDraft",
    "MenuVersion",
    "Meter",
    "NodeLease",
    "Operator",
    "OperatorPause",
    "Outage",
    "QueueEvent",
    "QueueRollup",
    "QueueRollupBucket",
    "QueueRollupMark",
    "QueueRollupRing",
    "RatingAnswer",
    "Reading",
    "Recording",
    "RecordingAccess",
    "Scenario",
    "SmsEvent",
    "SmsEventKind",
    "SmsMessage",
    "SmsStatus",
    "SurveyAnswer",
    "TransferKind",
    "TransferTarget",
    "User",
    "WebSession",
    "WebhookDelivery",
    "WebhookDeliveryStatus",
    "WebhookEventRow",
    "str_enum",
]
