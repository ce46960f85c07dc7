"""The operator's transfer form (issue 17 item 4; R-030, R-041): blind or attended, to another
department's queue, a named specialist or an outside number, with the reason.  Loaded into the
operator panel by htmx; the same operation as ``hotline operators transfer``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from hotline.access.users import Permission
from hotline.contact_center.departments import departments
from hotline.contact_center.transfer import TransferError
from hotline.contact_center.transfers import transfer_call
from hotline.core.vocabulary import label
from hotline.store.models.transfers import TransferKind, TransferTarget
from hotline.store.operators import Operators
from hotline.transport.ami import AmiError
from hotline.web.pages import fragment
from hotline.web.security import Viewer, require, require_checked

router = APIRouter()


async def _form(
    request: Request, who: Viewer, message: str | None = None, ok: bool = False
) -> str:
    state = request.app.state
    others = [op.name for op in await Operators(state.db).all() if op.name != who.name]
    return fragment(
        request,
        "desk_transfer_form.html",
        who,
        departments=list(departments(state.settings.queue).values()),
        operators=others,
        reasons=state.settings.transfer.reasons,
        kinds=list(TransferKind),
        targets=list(TransferTarget),
        message=message,
        ok=ok,
    )


@router.get("/operator/transfer", response_class=HTMLResponse)
async def transfer_form(
    request: Request, who: Annotated[Viewer, Depends(require(Permission.OWN_CALLS))]
) -> HTMLResponse:
    return HTMLResponse(await _form(request, who))


@router.post("/operator/transfer", response_class=HTMLResponse)
async def transfer(
    request: Request,
    who: Annotated[Viewer, Depends(require_checked(Permission.OWN_CALLS))],
    kind: Annotated[TransferKind, Form()],
    target_kind: Annotated[TransferTarget, Form()],
    department: Annotated[str, Form(max_length=64)] = "",
    operator: Annotated[str, Form(max_length=64)] = "",
    number: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    state = request.app.state
    target = {
        TransferTarget.QUEUE: department,
        TransferTarget.OPERATOR: operator,
        TransferTarget.NUMBER: number,
    }[target_kind]
    try:
        record = await transfer_call(
            state.ami,
            state.db,
            state.settings,
            who.name,
            kind,
            target_kind,
            target,
            reason,
            who.actor,
            audit=state.held_audit,
        )
    except (TransferError, AmiError) as exc:
        return HTMLResponse(await _form(request, who, f"Не выполнено: {exc}"), status_code=409)
    how = label("TransferKind", record.kind)
    done = f"Звонок передан ({how}): {record.target}."
    return HTMLResponse(await _form(request, who, done, ok=True))
