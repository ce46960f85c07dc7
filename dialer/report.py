"""What supervisors read: live status, why contacts are not being dialled, and the report
(positive and negative per reason, per attempt, per contact; as sheets for
``hotline.core.spreadsheets``)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from dialer import pace
from dialer.model import CampaignState, DialMode, TargetState
from dialer.repository import CampaignRecord, DialerStore
from dialer.survey import results_table
from dialer.window import Waiting, WaitReason, window_for
from hotline.core.spreadsheets import Cell, CsvWriter, Sheet, XlsxWriter
from hotline.core.vocabulary import LABEL_SUFFIX, header, label
from hotline.settings import HoursSettings, QueueSettings

# The installation's zone when the caller does not say (hours.timezone's default).
DEFAULT_ZONE: Final = HoursSettings().timezone


@dataclass
class Status:
    campaign: CampaignRecord
    targets: int = 0
    done: int = 0
    calling: int = 0
    pending: int = 0
    retries_pending: int = 0  # pending after at least one attempt
    positive: int = 0
    negative: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    estimated_finish: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign.name,
            "state": self.campaign.state.value,
            "targets": self.targets,
            "done": self.done,
            "calling": self.calling,
            "pending": self.pending,
            "retries_pending": self.retries_pending,
            "positive": self.positive,
            "negative": self.negative,
            "by_reason": dict(self.by_reason),
            "attempts": self.attempts,
            "estimated_finish": self.estimated_finish.isoformat()
            if self.estimated_finish
            else None,
        }


async def status(
    store: DialerStore, name: str, now: datetime, *, default_zone: str = DEFAULT_ZONE
) -> Status:
    """``default_zone``: the installation's zone (hours.timezone), where the campaign's
    calling window is counted for the expected finish (unless its rules name a zone)."""
    campaign = await store.campaign(name)
    result = Status(campaign)
    for state, verdict, reason, count in await store.target_counts(campaign.id):
        result.targets += count
        if state == TargetState.DONE:
            result.done += count
            if verdict == "positive":
                result.positive += count
            else:
                result.negative += count
            result.by_reason[f"{verdict}:{reason}"] += count
        elif state == TargetState.CALLING:
            result.calling += count
        else:
            result.pending += count
            if reason is not None:
                result.retries_pending += count
    result.attempts = sum(c for _n, _s, _r, c in await store.attempt_counts(campaign.id))
    if campaign.state is CampaignState.RUNNING and campaign.started_at is not None:
        result.estimated_finish = await finish_at_pace(store, campaign, now, default_zone)
    return result


async def finish_at_pace(
    store: DialerStore, campaign: CampaignRecord, now: datetime, default_zone: str
) -> datetime | None:
    """A running campaign's expected finish: the attempts its open contacts may still take
    at the attempts per open hour of its calling window measured since it started (issue 22
    item 5; dialer.pace)."""
    if campaign.started_at is None:
        return None
    window = window_for(campaign.rules, campaign.rules.contact_zone(default_zone))
    made = sum(c for _n, _s, _r, c in await store.attempt_counts(campaign.id))
    contacts, attempted = await store.open_attempts(campaign.id)
    remaining = pace.remaining_attempts(contacts, attempted, campaign.rules.max_attempts)
    rate = pace.dial_rate(window, made, campaign.started_at, now)
    return pace.expected_finish(window, now, remaining, rate)


@dataclass(frozen=True)
class WhyRow:
    """Contacts waiting for one reason: ``waiting.code`` for programs, ``waiting.text`` for
    people; ``earliest``: when the first of them may be called ('' unknown)."""

    waiting: Waiting
    contacts: int
    earliest: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.waiting.to_dict(), "contacts": self.contacts, "earliest": self.earliest}


_CAMPAIGN_WAITS: Final = {
    CampaignState.DRAFT: WaitReason.NOT_APPROVED,
    CampaignState.APPROVED: WaitReason.NOT_STARTED,
    CampaignState.PAUSED: WaitReason.PAUSED,
    CampaignState.STOPPED: WaitReason.STOPPED,
    CampaignState.FINISHED: WaitReason.FINISHED,
}


async def why(
    store: DialerStore,
    name: str,
    now: datetime,
    trunk_channels: int,
    queue: str = QueueSettings().name,
) -> list[WhyRow]:
    """Why contacts wait right now, the most frequent reason first (``queue``: the operators'
    queue, which progressive campaigns without their own dial for)."""
    campaign = await store.campaign(name)
    if campaign.state is not CampaignState.RUNNING:
        return [WhyRow(Waiting(_CAMPAIGN_WAITS[campaign.state]), 0, "")]
    rows: Counter[Waiting] = Counter()
    earliest: dict[Waiting, datetime] = {}
    if campaign.starts_at is not None and now < campaign.starts_at:
        return [WhyRow(Waiting(WaitReason.STARTS_LATER), 0, campaign.starts_at.isoformat())]
    counts = await store.inflight_counts()
    total = sum(counts.values())
    dnc = await store.dnc_numbers()
    for target in await store.targets_detail(campaign.id):
        if target["state"] != TargetState.PENDING:
            continue
        next_at = (
            datetime.fromisoformat(target["next_attempt_at"])
            if target["next_attempt_at"]
            else None
        )
        if target["phone"] in dnc:
            key = Waiting(WaitReason.DO_NOT_CALL)
        elif next_at is not None and next_at > now:
            key = Waiting.parse(target["waiting"])
        else:
            window = window_for(campaign.rules, target["timezone"])
            if not window.is_open(now):
                key = window.why_closed(now)
                next_at = window.next_open(now)
            elif counts.get(campaign.id, 0) >= campaign.rules.max_channels:
                key = Waiting.of(WaitReason.CAMPAIGN_CAP, limit=campaign.rules.max_channels)
            elif total >= trunk_channels:
                key = Waiting.of(WaitReason.TRUNK_CAP, limit=trunk_channels)
            elif campaign.rules.mode is DialMode.PROGRESSIVE:
                key = Waiting.of(WaitReason.FREE_OPERATOR, queue=campaign.rules.queue or queue)
            else:
                key = Waiting(WaitReason.DUE_NOW)
        rows[key] += 1
        if next_at is not None and (key not in earliest or next_at < earliest[key]):
            earliest[key] = next_at
    return [
        WhyRow(key, count, earliest[key].isoformat() if key in earliest else "")
        for key, count in rows.most_common()
    ]


REPORT_SHEETS = ("summary", "attempts", "contacts")
# A sheet with no rows has this one column (there are no rows to take column names from).
NO_COLUMNS: Final = ("-",)

Rows = list[tuple[Cell, ...]]

# Code columns of each sheet and their vocabularies: a label column (Russian header) follows
# each one; the code column stays for programs (issue 18).
_VOCABULARIES: Final[dict[str, dict[str, str]]] = {
    "summary": {"state": "TargetState", "result": "Result", "reason": "Reason"},
    "per_attempt": {"status": "AttemptStatus", "reason": "Reason"},
    "attempts": {"status": "AttemptStatus", "result": "Result", "reason": "Reason"},
    "contacts": {"state": "TargetState", "result": "Result", "reason": "Reason", "waiting": ""},
    "survey": {"question_type": "QuestionType"},
}


def _code_label(vocabulary: str, code: Cell) -> str:
    if not code:
        return ""
    if not vocabulary:  # campaign_targets.waiting: a stored WaitReason
        return Waiting.parse(str(code)).text
    return label(vocabulary, code)


def _labelled(title: str, columns: tuple[str, ...], rows: Rows) -> tuple[tuple[str, ...], Rows]:
    """``columns`` and ``rows`` with a label column after each code column of the sheet."""
    coded = _VOCABULARIES.get(title, {})
    where = [i for i, c in enumerate(columns) if c in coded]
    if not where:
        return columns, rows
    out_columns: list[str] = []
    for c in columns:
        out_columns.append(c)
        if c in coded:
            out_columns.append(header(c + LABEL_SUFFIX))
    out_rows: Rows = []
    for row in rows:
        cells: list[Cell] = []
        for c, value in zip(columns, row, strict=True):
            cells.append(value)
            if c in coded:
                cells.append(_code_label(coded[c], value))
        out_rows.append(tuple(cells))
    return tuple(out_columns), out_rows


@dataclass(frozen=True)
class CampaignReport:
    """The report's counts (computed in SQL); its contacts and attempts are streamed."""

    campaign_id: int
    summary: list[dict[str, Any]]
    per_attempt: list[dict[str, Any]]
    # A survey's answers per question, None for the other kinds.
    survey: list[dict[str, Any]] | None = None

    def counts(self) -> dict[str, list[dict[str, Any]]]:
        sheets = {"summary": self.summary, "per_attempt": self.per_attempt}
        if self.survey is not None:
            sheets["survey"] = self.survey
        return sheets


async def campaign_report(store: DialerStore, name: str) -> CampaignReport:
    campaign = await store.campaign(name)
    summary = [
        {"state": s, "result": r or "", "reason": why or "", "contacts": n}
        for s, r, why, n in sorted(
            await store.target_counts(campaign.id), key=lambda row: tuple(map(str, row))
        )
    ]
    per_attempt = [
        {"attempt": n, "status": s, "reason": r or "", "count": c}
        for n, s, r, c in sorted(
            await store.attempt_counts(campaign.id), key=lambda row: tuple(map(str, row))
        )
    ]
    return CampaignReport(campaign.id, summary, per_attempt, await survey_results(store, campaign))


async def survey_results(
    store: DialerStore, campaign: CampaignRecord
) -> list[dict[str, Any]] | None:
    """A survey campaign's answers per question (None: not a survey)."""
    scenario = campaign.snapshot
    if scenario is None:
        scenario = (await store.scenario_by_id(campaign.scenario_id)).scenario
    if not scenario.survey:
        return None
    counts = await store.survey_results(campaign.id)
    return results_table(scenario.questions, [(c.question, c.answer, c.count) for c in counts])


async def report_rows(store: DialerStore, name: str) -> dict[str, list[dict[str, Any]]]:
    """The whole report in memory (small campaigns: the demo, tests)."""
    report = await campaign_report(store, name)
    return {
        **report.counts(),
        "attempts": await store.attempts_detail(report.campaign_id),
        "contacts": await store.targets_detail(report.campaign_id),
    }


async def report_chunks(
    store: DialerStore, report: CampaignReport
) -> AsyncIterator[tuple[str, tuple[str, ...], Rows]]:
    """The report's sheets as (title, columns, rows) chunks, sheet after sheet (each sheet
    gives at least one chunk, maybe empty): the same sheets as ``report_sheets`` of
    ``report_rows``, without ever holding the contacts or the attempts."""
    for title, rows in report.counts().items():
        columns = tuple(rows[0]) if rows else NO_COLUMNS
        yield (
            title,
            *_labelled(title, columns, [tuple(_cell(row[c]) for c in columns) for row in rows]),
        )
    details = (
        ("attempts", store.iter_attempts(report.campaign_id)),
        ("contacts", store.iter_targets(report.campaign_id)),
    )
    for title, chunks in details:
        columns = NO_COLUMNS
        empty = True
        async for chunk in chunks:
            if not chunk:
                continue
            if empty:
                columns, empty = tuple(chunk[0]), False
            cells = [tuple(_cell(row[c]) for c in columns) for row in chunk]
            yield title, *_labelled(title, columns, cells)
        if empty:
            yield title, columns, []


async def report_csv(store: DialerStore, report: CampaignReport) -> AsyncIterator[bytes]:
    """The report as CSV for Russian Excel, chunk by chunk (byte for byte ``to_csv``)."""
    writer = CsvWriter(len(REPORT_SHEETS) + 1)
    yield writer.start()
    current = None
    async for title, columns, rows in report_chunks(store, report):
        if title != current:
            current = title
            yield writer.sheet(title, columns)
        yield writer.rows(rows)


async def report_xlsx(store: DialerStore, report: CampaignReport, target: Path) -> None:
    """The report as an XLSX file, written in openpyxl's write-only mode in a worker thread
    chunk by chunk (memory stays flat; the event loop stays free)."""
    writer = XlsxWriter()
    current = None
    async for title, columns, rows in report_chunks(store, report):
        if title != current:
            current = title
            await asyncio.to_thread(writer.sheet, title, columns, rows)
        await asyncio.to_thread(writer.rows, rows)
    await asyncio.to_thread(writer.save, target)


async def report_csv_files(
    store: DialerStore, report: CampaignReport, directory: Path, stem: str
) -> list[Path]:
    """One CSV per sheet, ``<stem>-<sheet>.csv`` in ``directory``, written chunk by chunk."""
    written: list[Path] = []
    handle = None
    writer = CsvWriter(1)
    try:
        async for title, columns, rows in report_chunks(store, report):
            if not written or written[-1].name != f"{stem}-{title}.csv":
                if handle is not None:
                    handle.close()
                written.append(directory / f"{stem}-{title}.csv")
                handle = written[-1].open("wb")
                writer = CsvWriter(1)
                handle.write(writer.start() + writer.sheet(title, columns))
            assert handle is not None
            data = writer.rows(rows)
            await asyncio.to_thread(handle.write, data)
    finally:
        if handle is not None:
            handle.close()
    return written


def report_sheets(sheets: dict[str, list[dict[str, Any]]]) -> list[Sheet]:
    """Report rows as ``hotline.core.spreadsheets`` sheets (Russian-Excel CSV and XLSX)."""
    out = []
    for title, rows in sheets.items():
        columns = tuple(rows[0]) if rows else NO_COLUMNS
        columns, values = _labelled(
            title, columns, [tuple(_cell(row[c]) for c in columns) for row in rows]
        )
        out.append(Sheet(title, columns, tuple(values)))
    return out


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | Decimal | date | datetime):
        return value
    return str(value)


@dataclass(frozen=True)
class HourResults:
    start: datetime  # local, the start of the hour
    attempts: int
    positive: int
    negative: int


def hourly(attempts: list[dict[str, Any]], zone: ZoneInfo) -> list[HourResults]:
    """Attempts per local hour with their results (``attempts_detail`` rows)."""
    return hourly_counts(
        ((datetime.fromisoformat(row["created_at"]), row["result"], 1) for row in attempts), zone
    )


def hourly_counts(
    counts: Iterable[tuple[datetime, str | None, int]], zone: ZoneInfo
) -> list[HourResults]:
    """Attempts per local hour with their results, for the chart, from (time, result, count)
    rows: the store's counts per UTC minute (``attempt_minutes``; every zone's offset is
    whole minutes, so minutes fold into local hours exactly)."""
    hours: dict[datetime, Counter[str]] = {}
    for minute, result, count in counts:
        hour = minute.astimezone(zone).replace(minute=0, second=0, microsecond=0)
        tally = hours.setdefault(hour, Counter())
        tally["attempts"] += count
        if result in ("positive", "negative"):
            tally[result] += count
    return [
        HourResults(hour, c["attempts"], c["positive"], c["negative"])
        for hour, c in sorted(hours.items())
    ]
