"""Console downloads streamed (issue 19 item 3): the appeal register past the 10,000 rows
the old export stopped at, and the audit log (the page shows the newest 500; the export has
them all), as CSV and XLSX, for the roles allowed to read them."""

from __future__ import annotations

import asyncio
import csv
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from hotline.settings import Settings
from hotline.store.db import Database
from tests.exports_support import OLD_CAP, add_appeals
from tests.web.conftest import log_in


def _seed(settings: Settings, appeals: int) -> None:
    async def work() -> None:
        async with Database.from_settings(settings) as db:
            await add_appeals(db, appeals)

    asyncio.run(work())


def _csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_the_register_downloads_past_the_old_cap(client: TestClient, settings: Settings) -> None:
    _seed(settings, OLD_CAP + 1)
    log_in(client, "boris")
    with client.stream("GET", "/appeals/export.csv?by=unit") as response:
        assert response.status_code == 200
        assert response.headers["content-disposition"] == 'attachment; filename="appeals.csv"'
        assert "content-length" not in response.headers  # streamed, not built whole
        body = b"".join(response.iter_bytes())
    rows = _csv(body)
    numbers = [row[0] for row in rows if row and row[0].startswith("2026-")]
    assert len(numbers) == OLD_CAP + 1 == len(set(numbers))
    assert ["network", str(OLD_CAP + 1)] == next(r[:2] for r in rows if r and r[0] == "network")


def test_the_register_downloads_as_xlsx_masked_for_an_operator(
    client: TestClient, settings: Settings
) -> None:
    _seed(settings, 3)
    log_in(client, "anna")  # an operator: personal data masked
    response = client.get("/appeals/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    register = list(book["Обращения"].values)
    assert [row[0] for row in register[1:]] == ["2026-000003", "2026-000002", "2026-000001"]
    assert all("+79001234567" not in str(cell) for row in register for cell in row)
    assert client.get("/appeals/export.pdf").status_code == 404


def test_the_audit_log_downloads_whole(client: TestClient) -> None:
    log_in(client, "vera")
    page = client.get("/admin/audit?actor=setup")
    assert page.status_code == 200 and "/admin/audit/export.csv?actor=setup" in page.text
    response = client.get("/admin/audit/export.csv?actor=setup")
    assert response.status_code == 200
    rows = _csv(response.content)
    # The three users the console was seeded with, oldest first.
    assert [(row[2], row[6]) for row in rows[1:]] == [
        ("setup", "anna"),
        ("setup", "boris"),
        ("setup", "vera"),
    ]
    xlsx = client.get("/admin/audit/export.xlsx")
    assert xlsx.status_code == 200
    values = list(load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0].values)
    assert values[0][:3] == ("№", "Время", "Кто") and len(values) >= 4
    client.cookies.clear()
    log_in(client, "boris")  # a supervisor does not read the audit log
    assert client.get("/admin/audit/export.csv").status_code == 403
