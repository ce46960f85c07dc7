"""A voicemail linked to an appeal plays in the appeal's card (R-111): for roles that see
personal data only (R-139), every playback audited, and only files under the recordings
folder are served, whatever a link says."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi.testclient import TestClient

from hotline.appeals.register import AppealRequest, Appeals
from hotline.settings import Settings
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.enums import AppealChannel
from tests.web.conftest import log_in
from tests.web.test_appeals_pages import audit

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)


def register_voicemail(settings: Settings, recording: Path) -> str:
    async def work() -> str:
        async with Database.from_settings(settings) as db:
            appeals = Appeals(db, settings.appeals, settings.hours.timezone)
            appeal = await appeals.register(
                AppealRequest(
                    channel=AppealChannel.VOICEMAIL,
                    category="question",
                    topic="bills",
                    subject="Голосовое сообщение",
                    phone="+79001234567",
                    call_id="1764770000.7",
                    recording=str(recording),
                ),
                Actor("ivr", "engine"),
            )
            return appeal.number

    return asyncio.run(work())


def test_the_voicemail_plays_in_the_card_and_is_audited(
    client: TestClient, settings: Settings
) -> None:
    wav = settings.paths.recordings_dir / "2026" / "12" / "03" / "c1-voicemail.wav"
    wav.parent.mkdir(parents=True)
    wav.write_bytes(WAV)
    number = register_voicemail(settings, wav)

    log_in(client, "boris")
    card = client.get(f"/appeals/{number}").text
    assert f'src="/appeals/{number}/recording/0"' in card
    audio = client.get(f"/appeals/{number}/recording/0")
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/wav" and audio.content == WAV
    assert ("boris", "appeal.listen") in audit(settings)
    assert client.get(f"/appeals/{number}/recording/1").status_code == 404


def test_an_operator_neither_sees_nor_plays_the_voice(
    client: TestClient, settings: Settings
) -> None:
    wav = settings.paths.recordings_dir / "c2-voicemail.wav"
    wav.parent.mkdir(parents=True, exist_ok=True)
    wav.write_bytes(WAV)
    number = register_voicemail(settings, wav)
    log_in(client, "anna")
    assert "/recording/0" not in client.get(f"/appeals/{number}").text
    assert client.get(f"/appeals/{number}/recording/0").status_code == 403
    assert ("anna", "appeal.listen") not in audit(settings)


def test_a_link_outside_the_recordings_folder_is_not_served(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.wav"
    outside.write_bytes(WAV)
    number = register_voicemail(settings, outside)
    log_in(client, "boris")
    assert client.get(f"/appeals/{number}/recording/0").status_code == 404
    assert ("boris", "appeal.listen") not in audit(settings)
