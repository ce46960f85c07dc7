"""The menu file format: pydantic ``*Spec`` models of ``menus/*.yaml``, and the JSON schema
published as ``menus/schema.json`` (generated from them by ``hotline menu schema``)::

    version: 1
    name: hotline
    start: main
    nodes:
      main:
        kind: menu
        prompt: {short: ivr.main.short, detailed: ivr.main.detailed}
        options: {1: readings, 2: balance, 3: info}      # DTMF key -> child node id
      readings: {kind: action, action: meter_readings}
      info:
        kind: info
        prompt: {short: info.tariffs, detailed: info.tariffs}
        then: back                                       # back | main | hangup (default back)
      outage_report: {kind: action, action: operator, reason: outage}
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from ivr.menu.model import (
    NODE_ID_PATTERN,
    OPTION_KEY_PATTERN,
    PROMPT_ID_PATTERN,
    REASON_PATTERN,
    Action,
    After,
)

FORMAT_VERSION: Final = 1
SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

NodeId = Annotated[str, Field(pattern=NODE_ID_PATTERN)]
PromptId = Annotated[str, Field(pattern=PROMPT_ID_PATTERN)]
OptionKey = Annotated[str, Field(pattern=OPTION_KEY_PATTERN)]
OWN_TEXT_MAX: Final = 500
OwnText = Annotated[str, Field(min_length=1, max_length=OWN_TEXT_MAX, pattern=r"\S")]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromptSpec(_Spec):
    """Prompt ids from prompts/catalogue.yaml (the same id twice is fine)."""

    short: PromptId = Field(description="For experienced callers.")
    detailed: PromptId = Field(description="For first-time callers.")


class MenuSpec(_Spec):
    """A menu: its prompt names every choice; the caller picks one by key."""

    kind: Literal["menu"]
    prompt: PromptSpec
    options: dict[OptionKey, NodeId] = Field(
        min_length=1,
        description="DTMF key -> child node id. The navigation keys (operator, back, main "
        "menu, repeat; 0, *, # and 9 by default) are reserved.",
        json_schema_extra={"additionalProperties": False},
    )


class InfoSpec(_Spec):
    """Reference information, then back, to the main menu or hang up."""

    kind: Literal["info"]
    prompt: PromptSpec
    then: After = Field(After.BACK, description="Where the caller goes after the message.")


class ActionSpec(_Spec):
    """Something the engine does: meter readings, balance, operator, callback, hang up."""

    kind: Literal["action"]
    action: Action
    reason: Annotated[str, Field(pattern=REASON_PATTERN)] | None = Field(
        None, description="Operator reason shown to the operator (action operator only)."
    )
    queue: Annotated[str, Field(pattern=REASON_PATTERN)] | None = Field(
        None,
        description="The department whose queue the caller reaches (action operator only; "
        "queue.departments, e.g. dispatcher); default the operators' queue.",
    )
    prompt: PromptSpec | None = Field(None, description="Played before the action.")
    then: After | None = Field(
        None, description="Where the caller goes when a returning action is done (default back)."
    )


NodeSpec = Annotated[MenuSpec | InfoSpec | ActionSpec, Field(discriminator="kind")]
SPEC_OF_KIND: Final[dict[str, type[_Spec]]] = {
    "menu": MenuSpec,
    "info": InfoSpec,
    "action": ActionSpec,
}


class MenuFileSpec(_Spec):
    """A hotline IVR menu file (menus/*.yaml; model: ivr/menu/spec.py)."""

    model_config = ConfigDict(title="hotline IVR menu")

    version: Literal[1]
    name: str = Field(min_length=1)
    start: NodeId = Field(description="The main menu: level 1.")
    nodes: dict[NodeId, NodeSpec] = Field(
        min_length=1, json_schema_extra={"additionalProperties": False}
    )
    prompts: dict[PromptId, OwnText] = Field(
        default_factory=dict,
        description="The menu's own prompts: id -> text, synthesised with the configured voice "
        "(typed in the console's menu editor); their ids must not be catalogue ids.",
        json_schema_extra={"additionalProperties": False},
    )


def menu_json_schema() -> dict[str, Any]:
    """The published JSON schema of menu files (``menus/schema.json``)."""
    schema = MenuFileSpec.model_json_schema()
    return {"$schema": SCHEMA_DIALECT, **schema}


def menu_json_schema_text() -> str:
    return json.dumps(menu_json_schema(), indent=2, ensure_ascii=False) + "\n"
