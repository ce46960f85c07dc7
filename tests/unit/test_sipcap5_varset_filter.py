"""Issue 19 item 1: the engine's AMI user is not sent the events nobody in the engine takes
(VarSet: a dozen per IVR call, in the ``dialplan`` class the trackers need for Newexten).
The proof through the real Asterisk is tests/e2e/test_sipcap_call_start.py."""

from __future__ import annotations

from dialer.attempts import DIALER_EVENTS
from hotline.calls.tracker import _INBOUND_PATH as INBOUND_PATH
from hotline.calls.tracker import TRACKED_EVENTS
from hotline.contact_center.callback_dial import EVENTS as DIAL_EVENTS
from hotline.contact_center.desk import WRAPUP_EVENTS
from hotline.contact_center.queue_tracker import TRACKED_QUEUE_EVENTS
from hotline.contact_center.transfers import TRANSFER_EVENTS, USER_EVENT
from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.dialplan.names import (
    CONTEXT_FALLBACK,
    CONTEXT_OPERATOR,
    ENGINE_UNREAD_CONTEXTS,
    ENGINE_UNREAD_EVENTS,
)
from hotline.dialplan.node_legs import CONTEXT_NODE_LEGS
from hotline.settings import Settings

SECRETS = ("engine-secret", "console-secret", "cli-secret")


def _section(conf: str, user: str) -> list[str]:
    return conf.split(f"[{user}]", 1)[1].split("\n[", 1)[0].splitlines()


def test_only_the_engines_user_filters_out_varset() -> None:
    settings = Settings()
    conf = render_configs(settings, RenderOptions(*SECRETS, sandbox=True))["manager.conf"]
    engine = _section(conf, settings.ami.username)
    assert "eventfilter(action(exclude),name(VarSet)) =" in engine
    # Nothing else is filtered: the trackers' Newexten share VarSet's class.
    assert [line for line in engine if line.startswith("eventfilter")] == [
        *(f"eventfilter(action(exclude),name({name})) =" for name in ENGINE_UNREAD_EVENTS),
        # The menu's levels' dialplan steps (issue 19: five per key; nobody reads them).
        *(
            f"eventfilter(action(exclude),name(Newexten),header(Context),method(starts_with)) "
            f"= {prefix}"
            for prefix in ENGINE_UNREAD_CONTEXTS
        ),
    ]
    for user in (settings.ami.console_username, settings.ami.cli_username):
        assert not any(line.startswith("eventfilter") for line in _section(conf, user))


def test_no_engine_consumer_takes_an_event_its_user_is_not_sent() -> None:
    taken = {
        *TRACKED_EVENTS,
        *TRACKED_QUEUE_EVENTS,
        *TRANSFER_EVENTS,
        *DIAL_EVENTS,
        *WRAPUP_EVENTS,
        *DIALER_EVENTS,
        USER_EVENT,
    }
    assert not {name.lower() for name in taken} & {n.lower() for n in ENGINE_UNREAD_EVENTS}


def test_no_context_whose_steps_the_engine_follows_is_filtered_out() -> None:
    # The steps (Newexten) the trackers read: the fallback, the node legs and the operator
    # context (the queue tracker's notice mark and MixMonitor).
    followed = {CONTEXT_FALLBACK, CONTEXT_NODE_LEGS, CONTEXT_OPERATOR}
    for context in followed:
        assert not context.startswith(ENGINE_UNREAD_CONTEXTS), context
    # The inbound path (INBOUND_PATH) is read from Newchannel and CoreShowChannel, which no
    # filter names: the inbound context's own steps (a dozen a call) are not sent.
    settings = Settings()
    conf = render_configs(settings, RenderOptions(*SECRETS, sandbox=True))["manager.conf"]
    filters = [line for line in _section(conf, settings.ami.username) if "eventfilter" in line]
    assert filters and not any("Newchannel" in f or "CoreShowChannel" in f for f in filters)
    assert any(context.startswith(ENGINE_UNREAD_CONTEXTS) for context in INBOUND_PATH)
