"""hotline say KIND VALUE: hear (or read) how the IVR says a number, amount, date..."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated

import typer

from hotline.cli.context import settings_of
from hotline.cli.exits import EXIT_FAILED
from hotline.settings import Settings
from hotline.speech import russian

if TYPE_CHECKING:
    from hotline.speech.library import PromptLibrary, Sound

EXIT_BAD_VALUE = 2


class Kind(enum.StrEnum):
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    TIME = "time"
    PHONE = "phone"
    KWH = "kwh"
    DIGITS = "digits"
    READING = "reading"
    ACCOUNT = "account"


def _decimal(value: str) -> Decimal:
    try:
        return Decimal(value.strip().replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal number: {value!r} (e.g. 1234.56)") from exc


def phrase_of(
    kind: Kind, value: str, *, settings: Settings, with_year: bool = False
) -> russian.Phrase:
    """The phrase for ``value`` read as ``kind``; ValueError/TypeError on bad input."""
    match kind:
        case Kind.NUMBER:
            return russian.number(int(value))
        case Kind.MONEY:
            return russian.money(
                _decimal(value), say_zero_kopecks=settings.speech.say_zero_kopecks
            )
        case Kind.DATE:
            return russian.date(dt.date.fromisoformat(value), with_year=with_year)
        case Kind.TIME:
            return russian.time_of_day(dt.time.fromisoformat(value))
        case Kind.KWH:
            amount = _decimal(value)
            return russian.kwh(int(amount) if amount == amount.to_integral_value() else amount)
        case Kind.PHONE:
            return russian.phone(value)
        case Kind.DIGITS:
            return russian.digits(value)
        case Kind.READING:
            return russian.reading(value)
        case Kind.ACCOUNT:
            return russian.account(value)
    raise AssertionError(kind)


async def _audio(library: PromptLibrary, phrase: russian.Phrase) -> tuple[Sound, str]:
    """Composed from built fragments when there is a build, else synthesised whole."""
    from hotline.speech.library import PromptsNotBuilt

    try:
        return await library.phrase(phrase), f"composed from {len(phrase.fragments)} fragments"
    except PromptsNotBuilt as exc:
        sound = await library.speak(phrase.text)
        return sound, f"synthesised whole; {exc}"


def say(
    ctx: typer.Context,
    kind: Annotated[
        Kind, typer.Argument(help="What VALUE is.", case_sensitive=False, metavar="KIND")
    ],
    value: Annotated[
        str,
        typer.Argument(
            help="money 1234.56, date 2026-11-23, time 14:35, kwh 12.5, phone +79131234567, "
            "number 42 (negative: put -- before it), digits/reading/account 012345.",
            metavar="VALUE",
        ),
    ],
    text: Annotated[
        bool, typer.Option("--text", help="Print the Russian words instead of making audio.")
    ] = False,
    with_year: Annotated[
        bool, typer.Option("--with-year", help="Dates: say the year too.")
    ] = False,
) -> None:
    """Say VALUE in Russian: print the words (--text), or write the audio and print its
    path (without extension, as Asterisk's STREAM FILE takes it) and duration."""
    settings = settings_of(ctx)
    try:
        phrase = phrase_of(kind, value, settings=settings, with_year=with_year)
    except (ValueError, TypeError) as exc:
        typer.echo(f"say: bad {kind.value} {value!r}: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_VALUE) from exc
    if text:
        typer.echo(phrase.text)
        return
    # The audio stack is imported only when audio is asked for (--text answers at once).
    import asyncio

    from hotline.speech.catalogue import CatalogueError
    from hotline.speech.library import PromptLibrary
    from hotline.speech.tools import SpeechError

    library = PromptLibrary(settings)
    try:
        sound, how = asyncio.run(_audio(library, phrase))
    except (SpeechError, CatalogueError) as exc:
        typer.echo(f"say: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    typer.echo(phrase.text)
    typer.echo(f"{sound.path_without_extension}  {sound.duration:.2f} s  ({how})")
