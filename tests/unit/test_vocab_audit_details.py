"""The audit page's details read in Russian for the appeal register's entries too: the codes
the vocabulary knows (channel, status, reason) and the ones the settings name (category, unit)."""

from __future__ import annotations

from hotline.core.vocabulary import detail_text
from hotline.settings.appeals import AppealSettings


def test_appeal_register_details_are_labelled() -> None:
    appeals = AppealSettings()
    titles = {"category": appeals.categories, "unit": appeals.unit_titles}
    text = detail_text(
        {"channel": "voicemail", "category": "complaint", "unit": "network"}, titles
    )
    assert text == "канал: голосовая почта; категория: Жалоба; подразделение: Сетевая служба"
    moved = detail_text({"status": "not_considered", "reason": "offensive"}, titles)
    assert moved.startswith("статус: оставлено без рассмотрения; причина: нецензурные")


def test_unknown_codes_stay_as_they_are() -> None:
    assert detail_text({"category": "custom", "unit": "x_unit"}, {}) == (
        "категория: custom; подразделение: x_unit"
    )
