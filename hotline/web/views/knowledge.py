"""The knowledge base in the console (issue 17 item 6; R-124-R-128): the operator's panel
beside the call card (the call scripts with their name, a search, the "most asked" topics),
the article list and pages, and writing and editing articles for those allowed to
(``Permission.KNOWLEDGE``; every change audited by the domain)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline.access.users import Permission
from hotline.contact_center.knowledge import (
    BODY_MAX,
    QUERY_MAX,
    TITLE_MAX,
    ArticleError,
    Knowledge,
    call_scripts,
    overdue,
    parse_topics,
)
from hotline.core.clock import utc_now
from hotline.core.errors import NotFound
from hotline.store.knowledge import ArticleDraft
from hotline.store.operators import Operators
from hotline.web.pages import fragment, page
from hotline.web.security import Viewer, require, require_checked
from ivr.menu.loader import load_menu, parse_menu
from ivr.menu.structure import MenuError
from ivr.menu.versions import MenuVersions

log = logging.getLogger(__name__)
router = APIRouter()

TOPICS_MAX: Final = 700
READ: Final = Permission.OWN_CALLS


def _kb(request: Request) -> Knowledge:
    return Knowledge(request.app.state.db, request.app.state.settings.knowledge)


def _today(request: Request) -> date:
    return utc_now().astimezone(ZoneInfo(request.app.state.settings.hours.timezone)).date()


async def _menu_start(request: Request) -> tuple[str, ...]:
    """The menu's start node: every call enters it, so it is no choice (R-127)."""
    state = request.app.state
    published = await MenuVersions(state.db).active()
    try:
        if published is None:
            menu = await asyncio.to_thread(load_menu, state.settings.ivr.menu_file)
        else:
            menu = await asyncio.to_thread(parse_menu, published.content)
    except (MenuError, OSError) as exc:
        log.warning("most asked without the menu: %s", exc)
        return ()
    return (menu.start,)


async def _operator_name(request: Request, who: Viewer) -> str:
    try:
        record = await Operators(request.app.state.db).get(who.name)
    except NotFound:
        return who.name
    return record.full_name or who.name


# --- the operator's panel ------------------------------------------------------------------------
@router.get("/operator/kb", response_class=HTMLResponse)
async def operator_panel(
    request: Request, who: Annotated[Viewer, Depends(require(READ))]
) -> Response:
    settings = request.app.state.settings
    scripts = call_scripts(
        settings.knowledge, settings.speech.company_name, await _operator_name(request, who)
    )
    asked = await _kb(request).most_asked(await _menu_start(request))
    html = fragment(request, "kb_panel.html", who, scripts=scripts, most_asked=asked)
    return HTMLResponse(html)


@router.get("/kb/search", response_class=HTMLResponse)
async def search_results(
    request: Request,
    who: Annotated[Viewer, Depends(require(READ))],
    q: Annotated[str, Query(max_length=QUERY_MAX)] = "",
) -> Response:
    found = await _kb(request).search(q) if q.strip() else None
    html = fragment(request, "kb_results.html", who, query=q, found=found, today=_today(request))
    return HTMLResponse(html)


# --- the list and the articles -------------------------------------------------------------------
@router.get("/kb", response_class=HTMLResponse)
async def articles(
    request: Request,
    who: Annotated[Viewer, Depends(require(READ))],
    q: Annotated[str, Query(max_length=QUERY_MAX)] = "",
    topic: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    return await _list(request, who, q, topic)


async def _list(
    request: Request,
    who: Viewer,
    q: str = "",
    topic: str = "",
    *,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    kb = _kb(request)
    if q.strip():
        shown = await kb.search(q)
    else:
        shown = await kb.articles(topic or None)
    return page(
        request,
        "kb.html",
        who,
        status_code=status_code,
        articles=shown,
        query=q,
        topic=topic,
        today=_today(request),
        overdue=overdue,
        review_due=kb.default_review(_today(request)),
        title_max=TITLE_MAX,
        body_max=BODY_MAX,
        message=message,
    )


@router.get("/kb/{article_id}", response_class=HTMLResponse)
async def article(
    request: Request,
    article_id: int,
    who: Annotated[Viewer, Depends(require(READ))],
    panel: bool = False,
) -> Response:
    try:
        found = await _kb(request).article(article_id)
    except NotFound:
        return await _list(request, who, message=f"Статьи {article_id} нет.", status_code=404)
    values: dict[str, Any] = {
        "article": found,
        "flagged": overdue(found, _today(request)),
        "title_max": TITLE_MAX,
        "body_max": BODY_MAX,
    }
    if panel:
        return HTMLResponse(fragment(request, "kb_article_body.html", who, **values))
    return page(request, "kb_article.html", who, **values)


def _draft(title: str, body: str, topics: str, owner: str, review_due: str) -> ArticleDraft:
    try:
        due = date.fromisoformat(review_due)
    except ValueError as exc:
        raise ArticleError("Дата пересмотра: ГГГГ-ММ-ДД.") from exc
    return ArticleDraft(title, body, parse_topics(topics), owner.strip(), due)


@router.post("/kb")
async def create(
    request: Request,
    who: Annotated[Viewer, Depends(require_checked(Permission.KNOWLEDGE))],
    title: Annotated[str, Form(max_length=TITLE_MAX + 50)],
    body: Annotated[str, Form(max_length=BODY_MAX + 500)],
    review_due: Annotated[str, Form(max_length=10)],
    topics: Annotated[str, Form(max_length=TOPICS_MAX)] = "",
    owner: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        draft = _draft(title, body, topics, owner or who.name, review_due)
        article_id = await _kb(request).create(draft, who.actor)
    except ArticleError as exc:
        return await _list(request, who, message=f"Статья не сохранена: {exc}", status_code=422)
    return RedirectResponse(f"/kb/{article_id}", status_code=303)


@router.post("/kb/{article_id}")
async def edit(
    request: Request,
    article_id: int,
    who: Annotated[Viewer, Depends(require_checked(Permission.KNOWLEDGE))],
    title: Annotated[str, Form(max_length=TITLE_MAX + 50)],
    body: Annotated[str, Form(max_length=BODY_MAX + 500)],
    review_due: Annotated[str, Form(max_length=10)],
    owner: Annotated[str, Form(max_length=64)],
    topics: Annotated[str, Form(max_length=TOPICS_MAX)] = "",
) -> Response:
    try:
        draft = _draft(title, body, topics, owner, review_due)
        await _kb(request).edit(article_id, draft, who.actor)
    except NotFound:
        return await _list(request, who, message=f"Статьи {article_id} нет.", status_code=404)
    except ArticleError as exc:
        return await _list(request, who, message=f"Статья не сохранена: {exc}", status_code=422)
    return RedirectResponse(f"/kb/{article_id}", status_code=303)
