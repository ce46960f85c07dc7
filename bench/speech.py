"""Speech: time to make a personal debt phrase, against one RHVoice synthesis of its text.

The phrase: «Сумма Вашей задолженности: <money>. Оплатите до <date>.» — the personal part
(money + date) is either composed from pre-rendered RHVoice fragments (what an inbound call
does) or the whole text is synthesised with RHVoice through the cache (what a campaign does
before dialling).  Each run uses another amount and date, so a cold run never hits a cache:

* compose cold — fragments read from disk, joined, written (a fresh library, manifest loaded);
* compose warm — the same phrase again (remembered: a dict lookup);
* compose, file exists — a new library (process) asks for a phrase already on disk;
* speak cold — empty cache: RHVoice + sox + G.711 + files;
* speak warm — the same text again (remembered);
* speak, cached — a new library finds the text's file.

Baseline: one ``RHVoice-test`` synthesis of the whole text (WAV out, nothing else).
Everything lives in a temporary directory; medians of ``--repeat`` runs, in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.common import machine_line, median
from hotline.settings import Settings, load_settings
from hotline.speech import russian
from hotline.speech.catalogue import Catalogue
from hotline.speech.library import PromptLibrary
from hotline.speech.tts import RhvoiceBackend

# Nominative after a colon: money() reads «одна тысяча», which «составляет» would need as
# «одну тысячу».
TEMPLATE = "Сумма Вашей задолженности: {money}. Оплатите до {date}."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeat", type=int, default=7, help="runs per measurement")
    parser.add_argument("--voice", default="anna", help="RHVoice voice")


def _personal(i: int) -> tuple[russian.Phrase, str]:
    """The i-th run's personal part (money + date) and the whole text to synthesise."""
    money = russian.money(Decimal(1234 + 111 * i) + Decimal(56 + i) / 100)
    date = russian.date(dt.date(2026, 11, 1) + dt.timedelta(days=3 * i))
    return money + date, TEMPLATE.format(money=money.text, date=date.text)


async def _timed(make: Callable[..., Awaitable[object]], *args: Any) -> float:
    started = time.perf_counter()
    await make(*args)
    return (time.perf_counter() - started) * 1000


async def _measure(settings: Settings, repeat: int) -> dict[str, list[float]]:
    runs = [_personal(i) for i in range(repeat)]
    fragments = {f: russian.FRAGMENTS[f] for phrase, _ in runs for f in phrase.fragments}
    builder = PromptLibrary(settings, catalogue=Catalogue({}), fragments=fragments)
    await builder.build()  # the fragments, rendered once (not timed)
    backend = RhvoiceBackend()
    rows: dict[str, list[float]] = {
        name: []
        for name in (
            "baseline: one RHVoice synthesis",
            "compose cold",
            "compose warm",
            "compose, file exists",
            "speak cold (RHVoice)",
            "speak warm",
            "speak, cached",
        )
    }
    names = list(rows)
    voice, rate = settings.speech.voice, settings.speech.rate
    for phrase, text in runs:
        rows[names[0]].append(await _timed(backend.synthesize, text, voice, rate))
        library = PromptLibrary(settings, fragments=fragments)
        library.manifest()  # read at start-up in the engine
        rows[names[1]].append(await _timed(library.phrase, phrase))
        rows[names[2]].append(await _timed(library.phrase, phrase))
        fresh = PromptLibrary(settings, fragments=fragments)
        fresh.manifest()
        rows[names[3]].append(await _timed(fresh.phrase, phrase))
        rows[names[4]].append(await _timed(library.speak, text))
        rows[names[5]].append(await _timed(library.speak, text))
        fresh = PromptLibrary(settings, fragments=fragments)
        rows[names[6]].append(await _timed(fresh.speak, text))
    return rows


def run(options: argparse.Namespace) -> int:
    print(f"machine: {machine_line()}")
    _, example = _personal(0)
    print(f"speech: «{example}» (RHVoice {options.voice}), median of {options.repeat} runs")
    with tempfile.TemporaryDirectory(prefix="hotline-bench-speech-") as temp:
        settings = load_settings(
            overrides={
                "speech": {
                    "backend": "rhvoice",
                    "voice": options.voice,
                    "sounds_dir": str(Path(temp) / "sounds"),
                    "cache_dir": str(Path(temp) / "cache"),
                }
            }
        )
        rows = asyncio.run(_measure(settings, options.repeat))
    baseline = median(next(iter(rows.values())))
    print(f"{'':<34}{'median ms':>10}{'x baseline':>12}  runs (ms)")
    for name, values in rows.items():
        print(
            f"{name:<34}{median(values):>10.3f}{median(values) / baseline:>12.4f}  "
            + " ".join(f"{v:.2f}" for v in values)
        )
    return 0
