"""Names shared between Python and the dialplan: contexts, FastAGI routes, channel variables.

Everything the dialplan templates in ``asterisk_conf/`` and the Python code must agree on is
spelled here once (wazo-agid's ``dialplan_variables``); handlers never write raw variable names.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

# --- Dialplan contexts (asterisk_conf/extensions.conf renders these names) -------------------
CONTEXT_INBOUND: Final = "hotline-inbound"
CONTEXT_FALLBACK: Final = "hotline-fallback"
CONTEXT_OPERATOR: Final = "hotline-operator"
CONTEXT_SIMULATED_CALLER: Final = "hotline-sim-caller"
CONTEXT_SIMULATED_LINE: Final = "hotline-sim-line"
# Campaign calls continue here once the callee answers (runs the dialer's FastAGI route).
CONTEXT_DIALER: Final = "hotline-dialer"
# The operator's "tell the caller the appeal number" sends the caller's channel here.
CONTEXT_APPEAL_SAID: Final = "hotline-appeal-said"
# An operator's transfer: exten TRANSFER_TO_QUEUE goes to the department's
# queue (ChannelVar.DEPARTMENT), exten TRANSFER_TO_PHONE dials ChannelVar.TRANSFER_DIAL (a
# named specialist's phone or an outside number) and falls back to the queue.  Digits:
# Atxfer sends the extension to the bridge as DTMF.
CONTEXT_TRANSFER: Final = "hotline-transfer"
TRANSFER_TO_QUEUE: Final = "1"
TRANSFER_TO_PHONE: Final = "2"
# An attended transfer's consultation leg entering CONTEXT_TRANSFER sends this UserEvent with
# the caller's uniqueid (ChannelVar.TRANSFER_OF, header TRANSFER_OF_HEADER): the engine times
# the specialist's answer and files the leg's queue events under the caller's call.
TRANSFER_LEG_EVENT: Final = "HotlineTransferLeg"
TRANSFER_OF_HEADER: Final = "TransferOf"
# Voice quality (issue 17 item 8; R-135): an inbound SIP call's hangup handler; it sends the
# UserEvent QUALITY_EVENT with the channel's RTP statistics.
CONTEXT_QUALITY: Final = "hotline-quality"
QUALITY_EVENT: Final = "HotlineVoiceQuality"
# Every bridged SIP leg reports: the exten QUALITY_PUSH of CONTEXT_QUALITY, a Gosub
# with the leg (a QualityLeg value) as its argument, pushes the hangup handler on a PJSIP
# channel; the handler's UserEvent names the leg in the header QUALITY_LEG_HEADER.
QUALITY_PUSH: Final = "push"
QUALITY_LEG_HEADER: Final = "Leg"
# Supervisor monitoring (issue 17 item 7): the console originates a call to the supervisor's
# phone into this context; the exten is a SpyMode, ChanSpy spies on ChannelVar.SPY_CHANNEL.
CONTEXT_SPY: Final = "hotline-spy"
# A callback from the console (issue 16 item 3; R-109): the operator's phone is originated into
# CONTEXT_CALLBACK, which dials the customer (ChannelVar.CALLBACK_DIAL); the customer's channel
# runs CONTEXT_CALLBACK_ANSWERED (the recording notice, then MixMonitor) before the two talk.
# The hang-up sends UserEvent CALLBACK_EVENT with the attempt, Dial's status and the recording.
CONTEXT_CALLBACK: Final = "hotline-callback"
CONTEXT_CALLBACK_ANSWERED: Final = "hotline-callback-answered"
CALLBACK_EVENT: Final = "HotlineCallback"
CALLBACK_EVENT_ATTEMPT: Final = "attempt"
CALLBACK_EVENT_STATUS: Final = "status"
CALLBACK_EVENT_RECORDING: Final = "recording"
# AMI events of a class the engine reads (``dialplan``: its call and queue trackers take
# Newexten) that none of its consumers takes: manager.conf excludes them from the engine
# user's sessions (an ``eventfilter`` by name), so Asterisk does not write them to the engine
# nor the engine read them (issue 19 item 1: a VarSet for every Set and MSet of every call).
# The CLI's user, which the simulator and the tests may use to watch a call, still gets them.
# Besides VarSet, five more of an IVR call's seventeen (measured under the SIP bench): its
# quality hangup handler pushed and run, the hang-up's two requests, MixMonitor started.
ENGINE_UNREAD_EVENTS: Final = (
    "VarSet",
    "HangupHandlerPush",
    "HangupHandlerRun",
    "HangupHandlerPop",
    "HangupRequest",
    "SoftHangupRequest",
    "MixMonitorStart",
    "MixMonitorStop",
    "MixMonitorMute",
    "DeviceStateChange",
)
# The menu's levels in dialplan (ivr.levels = "dialplan"): the engine renders the menu versions
# it serves into MENU_CONF (pulled in by a #tryinclude in extensions.conf), one context per
# node named MENU_CONTEXT_PREFIX + <version tag> + "-" + <node>.  The engine hands a call to
# the context of the node on top of its stack (IvrStatus.MENU) and is entered again through
# CONTEXT_IVR_NODE (route ROUTE_IVR_NODE) at action nodes and the operator choice; exten
# IVR_NODE_MENU there follows the hand-over (or, when the version's contexts are missing,
# IVR_NODE_WALK: the engine walks the menu itself).
MENU_CONF: Final = "hotline-menu.conf"
MENU_CONTEXT_PREFIX: Final = "hotline-menu-"
CONTEXT_IVR_NODE: Final = "hotline-ivr-node"
# The dialplan steps (Newexten) of these contexts are not written to the engine's AMI user:
# a key on a level is five of them, an inbound call's start a dozen, a campaign call's a
# few, and no consumer in the engine reads any (the levels report to the call log by
# UserEvent; the trackers follow the steps of the operator, fallback and node-leg contexts
# only, and an inbound call from its Newchannel; issue 19 item 1).
ENGINE_UNREAD_CONTEXTS: Final = (
    MENU_CONTEXT_PREFIX,
    CONTEXT_IVR_NODE,
    CONTEXT_INBOUND,
    CONTEXT_QUALITY,
    CONTEXT_DIALER,
)
IVR_NODE_MENU: Final = "menu"
# What the dialplan asks of the engine (the exten of CONTEXT_IVR_NODE, the route's first
# argument): an action node, the operator key, invalid or silent rounds run out, or the walk.
IVR_NODE_ACTION: Final = "action"
IVR_NODE_OPERATOR: Final = "operator"
IVR_NODE_NO_INPUT: Final = "noinput"
IVR_NODE_SILENT: Final = "silent"
IVR_NODE_WALK: Final = "walk"
# The rendered levels report to the call log as UserEvents MENU_EVENT: header MENU_KIND (a
# MenuEventKind), MENU_VALUE (the node, prompt id or key) and, by kind, the prompt's file and
# duration, whether the key came while the level waited (MENU_WAITING "1") rather than over a
# prompt, and whether the key came over a notice that plays the level again (MENU_AGAIN "1":
# the node is entered again first, as the engine's walk logs it).
MENU_EVENT: Final = "HotlineMenu"
MENU_KIND: Final = "Kind"
MENU_VALUE: Final = "Value"
MENU_FILE: Final = "File"
MENU_DURATION: Final = "Duration"
MENU_WAITING: Final = "Waiting"
MENU_AGAIN: Final = "Again"
MENU_NODE: Final = "Node"
# A node's event names the prompt its level starts with (MENU_FILE, MENU_DURATION), and a
# node's or the engine's event the key that led there (ChannelVar.KEY, "-": none): a key
# costs no event of its own.
MENU_PROMPT: Final = "Prompt"
MENU_KEY: Final = "Key"
# Sandbox only: the simulated carrier; the last digit of the number picks the behaviour.
CONTEXT_SIMULATED_CARRIER: Final = "hotline-sim-carrier"
# Sandbox only: a simulated operator's phone (a Local channel that answers after a delay).
CONTEXT_SIMULATED_OPERATOR: Final = "hotline-sim-operator"

# Sandbox only: global variables <prefix>_N name the greeting (a sound path without extension)
# the simulated carrier's number 7900555000N says on answer (answering-machine tests, R-085).
SIM_GREETING_PREFIX: Final = "HOTLINE_SIM_GREETING"
# Sandbox only: a simulated caller redirected here speaks the sound the global variable
# SIM_VOICE names (a voicemail message in tests, R-111), then listens.
CONTEXT_SIMULATED_VOICE: Final = "hotline-sim-voice"
SIM_VOICE: Final = "HOTLINE_SIM_VOICE"
# Sandbox only: a phone that answers and records what it hears into the file the global
# variable SIM_EAR names (a supervisor's phone in the monitoring test, issue 17 item 7).
CONTEXT_SIMULATED_EAR: Final = "hotline-sim-ear"
SIM_EAR: Final = "HOTLINE_SIM_EAR"
# Sandbox only: the folder where Local/<name>@CONTEXT_SIMULATED_EAR records (<name>.wav).
SIM_EAR_DIR: Final = "HOTLINE_SIM_EAR_DIR"

# The recording notice's catalogue id: the IVR plays it, and the operator context plays its
# built sound when the IVR did not.
PROMPT_RECORDING_NOTICE: Final = "ivr.recording_notice"

# --- FastAGI routes (agi_network_script) ------------------------------------------------------
ROUTE_IVR: Final = "ivr"
ROUTE_DIALER: Final = "dialer"
# The operator queue's answer target has passed: offer a callback or more waiting.
ROUTE_QUEUE_OVERFLOW: Final = "queue-overflow"
# The operator registered an appeal and sent the caller here to hear its number and deadline
# the appeal's number is in ChannelVar.APPEAL.
ROUTE_APPEAL_SAID: Final = "appeal-said"
# The operator hung up: the caller may rate the conversation by keypad (issue 16; R-108).
ROUTE_RATING: Final = "rating"
# The menu's levels in dialplan enter the engine here (CONTEXT_IVR_NODE).
ROUTE_IVR_NODE: Final = "ivr-node"


# --- Channel variables ------------------------------------------------------------------------
class ChannelVar(StrEnum):
    # Set by Python before it returns control: what the dialplan should do next.
    STATUS = "HOTLINE_STATUS"
    # Our call id (the call-log row), so later dialplan steps and AMI events map to it.
    CALL_ID = "HOTLINE_CALL_ID"
    # Why the caller is being sent to an operator (menu choice, no input, failure...).
    OPERATOR_REASON = "HOTLINE_OPERATOR_REASON"
    # The menu path walked, for the operator's screen.
    PATH = "HOTLINE_PATH"
    # A progressive campaign's contact values for the operator's screen pop (issue 22 item 2;
    # hotline/dialplan/contact_pop.py).
    CONTACT = "HOTLINE_CONTACT"
    # The number the caller dialled, kept before the dialplan jumps to the IVR's entry.
    DNID = "HOTLINE_DNID"
    # Seconds the operator queue should answer within: 40, or 180 in emergency mode.
    ANSWER_TARGET = "HOTLINE_ANSWER_TARGET"
    # Marks a call placed by the simulator (so the call log can say so).
    SIMULATED = "HOTLINE_SIMULATED"
    # A simulated call that tries the menu editor's draft: its content's sha256 (issue 23).
    # Honoured on simulated calls only; the engine checks the draft like a published menu.
    MENU_DRAFT = "HOTLINE_MENU_DRAFT"
    # A campaign call: our attempt id (also the channel's uniqueid and the Originate ActionID).
    ATTEMPT_ID = "HOTLINE_ATTEMPT_ID"
    # The caller's account once identified (the readings issue sets it; the screen pop reads it).
    ACCOUNT = "HOTLINE_ACCOUNT"
    # The appeal the caller is told about in CONTEXT_APPEAL_SAID (its number, 2026-004217).
    APPEAL = "HOTLINE_APPEAL"
    # The reading just committed, "<meter_id>/<zone>=<value>".
    READING = "HOTLINE_READING"
    # The call's recording file (absolute path), set when MixMonitor starts.
    RECORDING = "HOTLINE_RECORDING"
    # Who played «Разговор записывается» to this channel (a NoticeBy value); the operator
    # context plays it itself, before recording, when nobody has.
    RECORDING_NOTICE = "HOTLINE_RECORDING_NOTICE"
    # The department whose queue the caller goes to (queue.departments' ids; R-097); unset
    # or unknown: the operators' queue.
    DEPARTMENT = "HOTLINE_DEPARTMENT"
    # Epoch second the caller first joined the operator queue (the dialplan sets it).
    QUEUE_JOINED = "HOTLINE_QUEUE_JOINED"
    # Set by the overflow route: the caller left a callback request (dialplan hangs up).
    CALLBACK = "HOTLINE_CALLBACK"
    # An operator's transfer to a named specialist or an outside number: the dial string
    # [hotline-transfer] rings (an operator's interface, or the trunk's for the number).
    TRANSFER_DIAL = "HOTLINE_TRANSFER_DIAL"
    # Which SIP leg that dial is (a QualityLeg value: an operator's phone or the trunk), for
    # its voice-quality report.
    TRANSFER_LEG = "HOTLINE_TRANSFER_LEG"
    # An attended transfer: the caller's uniqueid, set (inherited) on the operator's channel
    # before AMI Atxfer, so the consultation leg it places can name the call it belongs to.
    TRANSFER_OF = "HOTLINE_TRANSFER_OF"
    # Supervisor monitoring: the operator's channel ChanSpy listens to (CONTEXT_SPY).
    SPY_CHANNEL = "HOTLINE_SPY_CHANNEL"
    # A callback from the console: the attempt's id, and the customer's dial string.
    CALLBACK_ATTEMPT = "HOTLINE_CALLBACK_ATTEMPT"
    CALLBACK_DIAL = "HOTLINE_CALLBACK_DIAL"
    # Set by Queue() on the caller's channel once an operator answers (queues.conf
    # setinterfacevar): the member's name, i.e. the operator's; the rating route reads it.
    MEMBER_NAME = "MEMBERNAME"
    # Set by Asterisk's AMD() on an answered campaign call: an AmdStatus value, and
    # why (e.g. "LONGGREETING-1900-1800", "HUMAN-800-800").
    AMD_STATUS = "AMDSTATUS"
    AMD_CAUSE = "AMDCAUSE"
    # The menu's levels in dialplan (ivr.levels = "dialplan"; ivr/menu/levels.py):
    # the context the engine hands the call to (IvrStatus.MENU),
    MENU_CONTEXT = "HOTLINE_MENU_CONTEXT"
    # the node the dialplan hands back to the engine at,
    NODE = "HOTLINE_NODE"
    # On the menu's levels in dialplan, the level's counters and the nodes entered so far,
    # "<invalid>/<silent>/<node>/<node>...": invalid rounds in a row, silent rounds in a row
    # then the walk (HOTLINE_PATH is the operator's ">" form).  One variable, so a
    # key resets the counters and appends the level in one VarSet: Asterisk builds an AMI
    # event for every variable set (issue 19 item 1).
    WALKED = "HOTLINE_WALKED"
    # "1" for a first-time caller (detailed prompts, the navigation hint once),
    FIRST_TIME = "HOTLINE_FIRST_TIME"
    HINTED = "HOTLINE_HINTED"  # "1" once the navigation hint was played
    # The key that sends a call from a level to the engine, "<key>/<waiting>/<again>/<node>"
    # ("-": none), reported with the engine's event (MENU_KEY); a key to another level is
    # written out in that level's event.
    KEY = "HOTLINE_KEY"
    # What only the engine sets and reads back (the version, emergency, the account and its
    # proof...): ivr/menu/handover.py.
    IVR_STATE = "HOTLINE_IVR_STATE"


# The inbound dialplan hands the IVR route these channel variables as AGI arguments
# (agi_arg_1...), so the greeting waits for no GET VARIABLE round trip (issue 19).
IVR_ARGUMENTS: Final = (ChannelVar.SIMULATED, ChannelVar.DNID, ChannelVar.MENU_DRAFT)
# [hotline-ivr-node] hands the route ROUTE_IVR_NODE what it asks (its exten), then these.
IVR_NODE_ARGUMENTS: Final = (
    ChannelVar.NODE,
    ChannelVar.WALKED,
    ChannelVar.FIRST_TIME,
    ChannelVar.HINTED,
    ChannelVar.CALL_ID,
    ChannelVar.IVR_STATE,
)


class SpyMode(StrEnum):
    """How a supervisor joins an operator's call (CONTEXT_SPY's extens)."""

    LISTEN = "listen"  # hears both sides, nobody hears them
    WHISPER = "whisper"  # also talks to the operator only
    BARGE = "barge"  # talks to both


# ChanSpy's options per mode: q quiet (no beep, no name), E end with the spied-on channel,
# w whisper to the spied-on channel, B barge (talk to both sides).
SPY_OPTIONS: Final = {SpyMode.LISTEN: "qE", SpyMode.WHISPER: "qEw", SpyMode.BARGE: "qEB"}


class QualityLeg(StrEnum):
    """Which SIP leg of a call the voice-quality statistics are of (R-135)."""

    CALLER = "caller"  # the caller's inbound leg from the carrier
    OPERATOR = "operator"  # the operator's phone (a queue member's SIP channel)
    TRUNK = "trunk"  # an outbound call over the carrier's trunk (the dialer's callee)


class AmdStatus(StrEnum):
    """Values of AMDSTATUS (Asterisk's AMD())."""

    MACHINE = "MACHINE"
    HUMAN = "HUMAN"
    NOTSURE = "NOTSURE"  # undecided within the analysis time
    HANGUP = "HANGUP"  # the far end hung up during the analysis


class NoticeBy(StrEnum):
    """Values of HOTLINE_RECORDING_NOTICE and of the call log's recording-notice events."""

    IVR = "ivr"  # the IVR played it right after the greeting
    DIALPLAN = "dialplan"  # [hotline-operator] played it (no engine, or a campaign transfer)


class IvrStatus(StrEnum):
    """Values of HOTLINE_STATUS; anything else (or unset) means the dialplan falls back."""

    DONE = "DONE"  # the call was handled, hang up
    OPERATOR = "OPERATOR"  # go to the operator queue
    # the menu's levels are in dialplan: go to ChannelVar.MENU_CONTEXT (ivr.levels)
    MENU = "MENU"
    FAILED = "FAILED"  # Python failed; the dialplan falls back to the queue


class MenuEventKind(StrEnum):
    """MENU_EVENT's MENU_KIND: what a rendered level reports to the call log."""

    NODE = "node"  # a node entered
    PROMPT = "prompt"  # a prompt starts (its played seconds: until the next event)
    DIGITS = "digits"  # a key that is no option (MENU_VALUE ""; the level timed out)
    ENGINE = "engine"  # the dialplan hands the call to the engine (ROUTE_IVR_NODE)
    COMPLETED = "completed"  # goodbye played: the call is completed


class OperatorReason(StrEnum):
    """Why a call went to an operator (HOTLINE_OPERATOR_REASON; shown on the operator's screen)."""

    MENU = "menu"  # the caller chose the operator
    NO_INPUT = "no_input"  # silent or invalid rounds ran out (rotary phones)
    FAILURE = "failure"  # Python failed; the dialplan fallback took the call
    FALLBACK = "fallback"  # the engine was absent or killed; set by the dialplan itself
    OUTAGE = "outage"  # reporting a power outage (the default menu's 4-1)
    CAMPAIGN = "campaign"  # a campaign callee pressed 0
    NOT_IDENTIFIED = "not_identified"  # the caller's account could not be identified
    READING_REFUSED = "reading_refused"  # e.g. lower than the last one: a replaced meter?
    NO_METERS = "no_meters"  # the account has no meter to take readings for
