"""The knowledge base's words and the call scripts (issue 17 item 6): Russian word forms meet
on the SQLite index, queries cannot inject FTS syntax, and the default scripts follow the
seeds (R-047 greeting with company and name, R-050, R-060) and their wording rules
(R-054/R-055)."""

from __future__ import annotations

import pytest

from hotline.contact_center import kb_words
from hotline.contact_center.knowledge import ArticleError, call_scripts, parse_topics
from hotline.settings import KnowledgeSettings, WordingSettings, load_settings
from hotline.speech.wording import check_text
from hotline.store.knowledge import _fts_query


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("Замена счётчика", "счетчик"),
        ("Замена счетчика", "счётчики"),
        ("Пени за просрочку", "пеня"),
        ("Оплата по квитанции", "квитанциями"),
        ("Передача показаний", "показание"),
    ],
)
def test_word_forms_meet_in_the_index(text: str, query: str) -> None:
    indexed = set(kb_words.index_terms(text).split())
    [group] = kb_words.query_groups(query)
    assert indexed & set(group)


def test_query_keeps_only_words_and_drops_function_words() -> None:
    groups = kb_words.query_groups('как "передать" OR NEAR(показания) по* счётчику')
    assert _fts_query(groups) == (
        '("передать" OR "передать"*) AND ("or" OR "or"*) AND ("near" OR "near"*)'
        ' AND ("показание" OR "показания"*) AND ("счетчик" OR "счетчику"*)'
    )
    # «или» ("or") alone is still searched: a query of function words only is kept.
    assert kb_words.query_groups("или") == [("или", "или*")]
    assert kb_words.query_groups(" .,! ") == []


def test_scripts_fill_company_and_operator_name() -> None:
    scripts = call_scripts(KnowledgeSettings(), "Энергосбыт Брянск", "Анна")
    assert scripts.greeting == "Здравствуйте! Энергосбыт Брянск. Анна. Чем я могу Вам помочь?"
    assert scripts.waited == "Спасибо за ожидание."
    assert scripts.closing == "Спасибо за звонок. Всего доброго. До свидания."
    custom = KnowledgeSettings(
        greeting_script="Добрый день! {company}, {operator}.", waited_script=""
    )
    filled = call_scripts(custom, "Сбыт", "Олег")
    assert (filled.greeting, filled.waited) == ("Добрый день! Сбыт, Олег.", None)


def test_default_scripts_pass_the_phrase_checker() -> None:
    wording = WordingSettings()
    defaults = KnowledgeSettings()
    for where in ("greeting_script", "waited_script", "closing_script"):
        assert check_text(getattr(defaults, where), where, wording) == []


def test_scripts_are_settings() -> None:
    settings = load_settings(overrides={"knowledge": {"closing_script": "Всего доброго!"}})
    assert settings.knowledge.closing_script == "Всего доброго!"
    assert settings.knowledge.most_asked_days == 30


def test_topics_are_checked() -> None:
    assert parse_topics(" readings, info.tariffs;readings ") == ("info.tariffs", "readings")
    with pytest.raises(ArticleError):
        parse_topics("показания")
