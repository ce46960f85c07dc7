"""The campaign dialer as the composition root builds it, on the engine's own node or on a
node taken over from a dead owner (issue 20)."""

from __future__ import annotations

from typing import Protocol

from dialer.engine import Dialer
from dialer.playback import HoursSource
from dialer.repository import DialerStore
from dialer.traces import ChannelTraces
from dialer.workers import DialerWorker
from hotline.contact_center import operators as operator_service
from hotline.core.clock import Clock
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.notify import Listener, NotifyChannel
from hotline.store.sms_notifier import SmsNotifier
from hotline.transport.ami import AmiClient


class NewDialer(Protocol):
    """A dialler on ``ami`` as ``worker``; ``traces``: the watch it vouches with (a node
    taken over), or its own session's."""

    def __call__(
        self, ami: AmiClient, worker: DialerWorker, traces: ChannelTraces | None = None
    ) -> Dialer: ...


def dialer_factory(
    settings: Settings,
    db: Database,
    prompts: PromptLibrary,
    call_log: CallLog,
    *,
    clock: Clock,
    hours: HoursSource,
    sms: SmsNotifier | None,
    notify: Listener,
) -> NewDialer:
    """Builds the dialer on an AMI connection as a worker (the engine's node, or one taken
    over); SMS only with a gateway (``sms`` None: campaign SMS fail at once); each dialer
    gets its own wake-up from the process's LISTEN connection."""

    def new(ami: AmiClient, worker: DialerWorker, traces: ChannelTraces | None = None) -> Dialer:
        return Dialer(
            settings.dialer,
            DialerStore(db),
            ami,
            prompts,
            call_log,
            clock=clock,
            say_zero_kopecks=settings.speech.say_zero_kopecks,
            company=settings.speech.company_name,
            operator_key=settings.ivr.operator_key,
            # Outside operator hours 0 does not reach the queue.
            hours=hours,
            callbacks=CallbackStore(db),
            # Intros greet by the callee's time of day, as the IVR does.
            greeting=settings.greeting,
            # Campaign SMS only with a gateway; without one SMS contacts fail at once.
            sms=sms,
            # one cap per customer across the rating and the survey campaigns.
            survey_cap_months=settings.rating.min_interval_months,
            # Progressive campaigns dial for the operators of this queue by default.
            operator_queue=operator_service.queue_of_department(settings, None),
            worker=worker,
            wake=notify.waker(NotifyChannel.DIALER),
            idle_seconds=settings.notify.dialer_idle_seconds,
            # How a call's closing writes are retried while the store is away (issue 21).
            held=settings.held_writes,
            traces=traces,
        )

    return new
