"""R-061: nobody is recorded before hearing «Разговор записывается».  The operator context of
the rendered dialplan (sandbox and production) plays the notice itself when the IVR did not,
records only after it was played, and the queue tracker logs that it was played."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.contact_center.queue_tracker import QueueTracker
from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.dialplan.names import CONTEXT_OPERATOR, ChannelVar, NoticeBy
from hotline.protocol.ami import AmiEvent
from hotline.settings import Settings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind
from hotline.store.queue_events import QueueEvents
from hotline.store.recordings import Recordings
from hotline.transport.ami import Subscription

SECRETS = ("engine-secret", "console-secret", "cli-secret")


def operator_context(settings: Settings, *, sandbox: bool) -> list[str]:
    text = render_configs(settings, RenderOptions(*SECRETS, sandbox=sandbox))["extensions.conf"]
    body = text.split(f"[{CONTEXT_OPERATOR}]", 1)[1].split("\n[", 1)[0]
    return [
        line.strip() for line in body.splitlines() if line.strip().startswith(("exten", "same"))
    ]


def index(lines: list[str], needle: str) -> int:
    return next(i for i, line in enumerate(lines) if needle in line)


@pytest.mark.parametrize("sandbox", [True, False], ids=["sandbox", "production"])
def test_the_operator_context_plays_the_notice_before_it_records(sandbox: bool) -> None:
    settings = Settings()
    lines = operator_context(settings, sandbox=sandbox)
    playback = index(lines, "Playback(")
    mixmonitor = index(lines, "MixMonitor(")
    assert playback < mixmonitor
    notice = str(
        settings.speech.sounds_dir.expanduser().resolve()
        / f"{settings.speech.backend}-{settings.speech.voice}"
        / "ivr.recording_notice"
    )
    assert f"Playback({notice})" in lines[playback]
    # A notice that could not be played means no recording: straight to the queue.
    assert "PLAYBACKSTATUS" in lines[playback + 1] and lines[playback + 1].endswith("?queue)")
    marker = lines[playback + 2]
    assert f"Set(__{ChannelVar.RECORDING_NOTICE}={NoticeBy.DIALPLAN})" in marker
    # Only a channel that already heard the notice (from the IVR) skips the playback.
    skip = index(lines, f"${{{ChannelVar.RECORDING_NOTICE}}}")
    assert skip < playback and lines[skip].endswith("?record)")
    assert "(record)" in lines[playback + 3] and playback + 3 < mixmonitor


def test_no_recording_no_notice_in_the_dialplan() -> None:
    settings = Settings(recording={"enabled": False})
    lines = operator_context(settings, sandbox=True)
    assert not any("MixMonitor(" in line or "Playback(" in line for line in lines)


def event(name: str, **headers: str) -> AmiEvent:
    return AmiEvent.from_headers([("Event", name), *headers.items()])


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'calls.db'}")
    await database.upgrade()
    yield database
    await database.dispose()


async def test_the_call_log_records_the_notice_the_dialplan_played(db: Database) -> None:
    call_log = CallLog(db)
    tracker = QueueTracker(Subscription(None, 100), QueueEvents(db), Recordings(db), call_log)
    # A campaign callee who pressed 0: an outbound call the dialer opened.
    await call_log.open(uniqueid="attempt-1", direction=CallDirection.OUTBOUND, callee="+7913")
    await tracker.handle(
        event(
            "Newexten",
            Uniqueid="attempt-1",
            Context=CONTEXT_OPERATOR,
            Application="Set",
            AppData=f"__{ChannelVar.RECORDING_NOTICE}={NoticeBy.DIALPLAN}",
        )
    )
    # Other Set steps of the context are not notices; a call never opened is ignored.
    await tracker.handle(
        event(
            "Newexten",
            Uniqueid="attempt-1",
            Context=CONTEXT_OPERATOR,
            Application="Set",
            AppData=f"__{ChannelVar.QUEUE_JOINED}=1700000000",
        )
    )
    await tracker.handle(
        event(
            "Newexten",
            Uniqueid="unknown",
            Context=CONTEXT_OPERATOR,
            Application="Set",
            AppData=f"__{ChannelVar.RECORDING_NOTICE}={NoticeBy.DIALPLAN}",
        )
    )
    call = await call_log.get(uniqueid="attempt-1")
    assert call is not None
    notices = [e.value for e in call.events if e.kind == EventKind.RECORDING_NOTICE]
    assert notices == [NoticeBy.DIALPLAN]
