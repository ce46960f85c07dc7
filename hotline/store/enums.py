"""Closed vocabularies stored in the database: call outcomes, directions, callback states, queue
events. Values are what the rows hold, so renaming a member's value needs a migration."""

from __future__ import annotations

from enum import StrEnum


# --- Call outcomes recorded in the call log -------------------------------------------------
class CallOutcome(StrEnum):
    COMPLETED = "completed"  # self-service finished, caller said goodbye
    OPERATOR = "operator"  # handed to the operator queue
    FALLBACK = "fallback"  # Python failed or was absent; dialplan fallback took the call
    ABANDONED = "abandoned"  # caller hung up before the IVR finished
    FAILED = "failed"  # the call itself failed (outbound: no answer, busy...)


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallbackStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class CallbackResult(StrEnum):
    """One attempt to call a customer back from the console (R-109)."""

    DIALLING = "dialling"  # under way
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"  # the number, the trunk, or the operator's phone did not answer


class QueueEventKind(StrEnum):
    """AMI queue events kept for the contact-center KPIs (hotline/contact_center/kpi.py)."""

    JOIN = "join"  # QueueCallerJoin
    CONNECT = "connect"  # AgentConnect: an operator answered
    COMPLETE = "complete"  # AgentComplete: the operator's conversation ended
    ABANDON = "abandon"  # QueueCallerAbandon: the caller hung up while waiting
    LEAVE = "leave"  # QueueCallerLeave: left the queue (answered, timeout, hang-up)
    TIMEOUT = "timeout"  # the answer target passed (the overflow route ran)
    CALLBACK = "callback"  # the caller left a callback request instead of waiting
    # AgentRingNoAnswer: an operator's phone rang out unanswered (R-031: every missed call
    # logged, counted per operator)
    RING_NO_ANSWER = "ring_no_answer"


class EventKind(StrEnum):
    """Kinds of ``call_events`` rows: every writer and reader of call events uses these."""

    NODE = "node"  # a menu node was entered; the sequence is the call's path
    PROMPT = "prompt"  # a prompt was played (value: its id; detail: seconds heard)
    DIGITS = "digits"  # keys received (detail: timed out, barge-in, confirmation)
    STATUS = "status"  # something happened to the call (hang-up, fallback...)
    NOTE = "note"  # free text
    MENU_VERSION = "menu_version"  # the menu version the call walked
    ACCOUNT = "account"  # the caller's account was identified (detail: by caller ID or typed)
    READING = "reading"  # a meter reading was committed
    CALLBACK = "callback"  # a callback request was stored (detail: its id)
    ANSWER_TARGET = "answer_target"  # seconds the queue must answer in (40, or 180)
    QUEUE = "queue"  # the call joined an operator queue (value: its name)
    CAMPAIGN = "campaign"  # a campaign call: the campaign, then result:reason
    # «Разговор записывается» was played to the caller (value: who played it, NoticeBy)
    RECORDING_NOTICE = "recording_notice"
    # Answering-machine detection on a campaign call (value: AMDSTATUS; detail: AMDCAUSE), or
    # "leave_message" once the beep was waited for
    AMD = "amd"
    # A current outage at the caller's address was announced (value: the outage id)
    OUTAGE_HEARD = "outage_heard"
    # An appeal was registered from the call (value: its number) (issue 16)
    APPEAL = "appeal"
    # The caller rated the operator call by keypad (value: 1-5; detail: the operator)
    RATING = "rating"


# --- The appeal register (issue 16) ---------------------------------------------------------
class AppealChannel(StrEnum):
    """How an appeal came in."""

    IVR = "ivr"
    OPERATOR = "operator"
    VOICEMAIL = "voicemail"
    CALLBACK = "callback"
    EMAIL = "email"
    OUTBOUND = "outbound"


class AppealStatus(StrEnum):
    """An appeal's status; the moves between them are in hotline/appeals/model.py."""

    REGISTERED = "registered"
    HANDED_OVER = "handed_over"  # to the unit that must act
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"
    REOPENED = "reopened"  # the customer rejected the solution
    NOT_CONSIDERED = "not_considered"  # closed without consideration, with a reason


class ReplyChannel(StrEnum):
    """How the customer is answered (R-117)."""

    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    POST = "post"


class AppealLinkKind(StrEnum):
    CALL = "call"  # calls.id
    RECORDING = "recording"  # a recording file (voicemail) or recordings.id
