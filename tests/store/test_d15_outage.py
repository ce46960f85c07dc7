"""R-089: the planned-outage notice carries organisation, type of work, reason, date and
times, address, the person responsible and a contact phone, each required at import; a contact
whose outage starts sooner than the lead time (dialer.outage_lead_days, 30 days) is refused."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from dialer import operations
from dialer.contacts import read_contacts
from dialer.model import TEMPLATES, CampaignKind, CampaignRules, Scenario, phrase
from dialer.repository import DialerStore
from hotline.settings import DialerSettings, load_settings
from hotline.speech.catalogue import Catalogue
from hotline.store.db import Database
from tests.dialer_support import NOW

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = TEMPLATES[CampaignKind.OUTAGE]
COLUMNS = (
    "phone",
    "outage_date",
    "time_from",
    "time_to",
    "address",
    "organisation",
    "work_type",
    "reason",
    "responsible",
    "contact_phone",
)
ROW = {
    "phone": "+79131234561",
    "outage_date": "2027-01-15",
    "time_from": "09:00",
    "time_to": "17:30",
    "address": "улица Ленина, дом 5",
    "organisation": "Россети Сибирь",
    "work_type": "замена опор линии электропередачи",
    "reason": "плановый ремонт",
    "responsible": "мастер участка Иванов Иван Иванович",
    "contact_phone": "8 391 222-33-44",
}


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_lead_time_default_is_the_catalogue_one() -> None:
    assert DialerSettings().outage_lead_days == 30


def test_every_field_is_required_with_a_row_error(tmp_path: Path) -> None:
    empty = {name: "" for name in COLUMNS[4:]}
    path = write(tmp_path / "outage.csv", [ROW, {**ROW, "phone": "+79131234562", **empty}])
    report = read_contacts(path, OUTAGE.variables(), region="RU", do_not_call=frozenset())
    assert not report.ok
    assert [(p.row, p.column) for p in report.errors] == [(3, name) for name in COLUMNS[4:]]
    missing = write(tmp_path / "missing.csv", [{k: v for k, v in ROW.items() if k != "reason"}])
    report = read_contacts(missing, OUTAGE.variables(), region="RU", do_not_call=frozenset())
    assert [str(p) for p in report.errors] == ["row 2, reason: empty"]


def test_an_outage_sooner_than_the_lead_time_is_refused(tmp_path: Path) -> None:
    rows = [
        {**ROW, "phone": "+79131234561", "outage_date": "2027-01-15", "time_from": "09:00"},
        {**ROW, "phone": "+79131234562", "outage_date": "2027-01-15", "time_from": "07:59"},
        {**ROW, "phone": "+79131234563", "outage_date": "2027-01-10"},
    ]
    path = write(tmp_path / "outage.csv", rows)
    # Thirty days before 2027-01-15 08:00 in Krasnoyarsk (01:00 UTC).
    earliest = datetime(2027, 1, 15, 1, 0, tzinfo=UTC)
    report = read_contacts(
        path,
        OUTAGE.variables(),
        region="RU",
        do_not_call=frozenset(),
        outage_not_before=(earliest, "Asia/Krasnoyarsk"),
    )
    assert report.ok
    assert [c.phone for c in report.contacts] == ["+79131234561"]
    assert [str(p) for p in report.dropped] == [
        "row 3, outage_date: the outage starts 15.01.2027 07:59, sooner than the notice lead "
        "time allows",
        "row 4, outage_date: the outage starts 10.01.2027 09:00, sooner than the notice lead "
        "time allows",
    ]


async def test_the_campaign_import_applies_the_setting(db: Database, tmp_path: Path) -> None:
    await db.upgrade()
    store = DialerStore(db)
    version = await store.add_scenario("outage", OUTAGE, "anna", NOW)
    await store.create_campaign("cut", version.id, CampaignRules(), "anna", NOW)
    today = date.today()
    rows = [
        {**ROW, "phone": "+79131234561", "outage_date": str(today + timedelta(days=12))},
        {**ROW, "phone": "+79131234562", "outage_date": str(today + timedelta(days=40))},
    ]
    path = write(tmp_path / "outage.csv", rows)
    default = await operations.check_contacts(db, load_settings(environ={}), "cut", path)
    assert [c.phone for c in default.contacts] == ["+79131234562"]
    assert [p.row for p in default.dropped] == [2]
    ten_days = load_settings(environ={}, overrides={"dialer": {"outage_lead_days": 10}})
    report = await operations.check_contacts(db, ten_days, "cut", path)
    assert len(report.contacts) == 2 and report.dropped == []


def spoken(scenario: Scenario, values: dict[str, str]) -> str:
    """What the callee hears, as text: the catalogue's prompts and the values' readouts."""
    catalogue = Catalogue.load(ROOT / "prompts", "Энергосбыт")
    parts = []
    for step in scenario.steps:
        if step.prompt is not None:
            parts.append(catalogue.require(step.prompt, "test").text)
        else:
            assert step.say is not None and step.var is not None
            readout = phrase(step.say, values[step.var])
            parts.append(values[step.var] if readout is None else readout.text)
    return " ".join(parts)


def test_the_notice_reads_every_field_in_russian() -> None:
    values = {name: ROW[name] for name in COLUMNS[1:]}
    values["contact_phone"] = "83912223344"  # as the import stores it
    assert spoken(OUTAGE, values) == (
        "Здравствуйте! Это Энергосбыт. "
        "Сообщаем о плановом отключении электроэнергии пятнадцатого января "
        "по адресу улица Ленина, дом 5 "
        "Работы начнутся в девять часов ровно и завершатся в семнадцать часов тридцать минут "
        "Работы проводит Россети Сибирь "
        "Вид работ: замена опор линии электропередачи "
        "Причина проведения работ: плановый ремонт "
        "Ответственный за проведение работ: мастер участка Иванов Иван Иванович "
        "Телефон для справок: восемь, триста девяносто один, двести двадцать два, "
        "тридцать три, сорок четыре"
    )
