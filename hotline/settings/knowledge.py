"""The operators' knowledge base and call scripts (issue 17 item 6; R-047, R-060, R-124-R-128)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG


class KnowledgeSettings(BaseModel):
    model_config = SECTION_CONFIG

    # the operator answers with a greeting, the company name and their own name; [003]
    # gives «Здравствуйте! <компания>. (Имя сотрудника)», [004] adds «Чем я могу Вам помочь?».
    # Placeholders: {company} (speech.company_name) and {operator} (the operator's name).
    greeting_script: str = Field(
        default="Здравствуйте! {company}. {operator}. Чем я могу Вам помочь?",
        min_length=1,
        max_length=500,
    )
    # a caller who waited in the queue is thanked for it («Спасибо за ожидание», [003]);
    # shown under the greeting for such callers.  Empty: not shown.
    waited_script: str = Field(default="Спасибо за ожидание.", max_length=200)
    # the call ends with «Спасибо за звонок. Всего доброго. До свидания» ([003]).
    closing_script: str = Field(
        default="Спасибо за звонок. Всего доброго. До свидания.", min_length=1, max_length=500
    )
    # the "most asked" list: IVR menu choices of the last N days, the top M of them.
    # No seed gives figures: a month and five topics.
    most_asked_days: int = Field(default=30, ge=1, le=366)
    most_asked_count: int = Field(default=5, ge=1, le=50)
    # every article has a review date; a new article is due for review after this many
    # days (no seed figure: a year), and an overdue review is flagged.
    review_days: int = Field(default=365, ge=1, le=3650)
    # Articles shown for one search in the operator's panel.
    search_limit: int = Field(default=10, ge=1, le=100)
