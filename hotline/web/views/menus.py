"""The IVR menu editor (issue 23): the shared draft drawn as a tree, checked on every change
by the same validator as ``hotline menu validate``; prompts played in the browser; publish
and roll back.  Supervisors and admins only (``Permission.MENUS``)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline.access.users import Permission
from hotline.app import AmiSecretMissing, ami_client
from hotline.calls.simulator import SimulationError, Simulator, Transcript
from hotline.settings import AmiRole
from hotline.speech import audio
from hotline.speech.library import PromptLibrary, PromptsNotBuilt
from hotline.speech.tools import SpeechError
from hotline.store.calllog import CallLog
from hotline.store.menu_drafts import CONTENT_MAX
from hotline.store.menus import content_sha256
from hotline.transport.ami import AmiError
from hotline.transport.fastagi_probe import fastagi_listening
from hotline.web.menu_words import rule_words
from hotline.web.pages import page
from hotline.web.security import Viewer, require, require_checked
from ivr.menu import draft as edits
from ivr.menu.editor import Checked, MenuEditor, MenuRefused
from ivr.menu.model import Action, NodeKind
from ivr.menu.spec import OWN_TEXT_MAX
from ivr.menu.versions import MenuUnchanged, UnknownVersion

router = APIRouter()

MENUS: Final = "/menus"
KEY_MAX: Final = 1
ID_MAX: Final = 64
WAV_MEDIA: Final = "audio/wav"
DTMF_MAX: Final = 64

Reader = Annotated[Viewer, Depends(require(Permission.MENUS))]
Writer = Annotated[Viewer, Depends(require_checked(Permission.MENUS))]
Key = Annotated[str, Form(max_length=KEY_MAX)]
NodeIdField = Annotated[str, Form(max_length=ID_MAX)]
TextField = Annotated[str, Form(max_length=OWN_TEXT_MAX * 2)]


def library_of(request: Request) -> PromptLibrary:
    library: PromptLibrary = request.app.state.prompts
    return library


def editor_of(request: Request) -> MenuEditor:
    return MenuEditor(request.app.state.db, request.app.state.settings, library_of(request))


@router.get(MENUS, response_class=HTMLResponse)
async def menus_page(request: Request, who: Reader) -> Response:
    return await _page(request, who)


async def _page(
    request: Request,
    who: Viewer,
    message: str | None = None,
    status_code: int = 200,
    checked: Checked | None = None,
    transcript: Transcript | None = None,
) -> Response:
    editor = editor_of(request)
    stored = await editor.draft()
    if checked is None:
        checked = await editor.check(await editor.draft_content())
    library = library_of(request)
    catalogue = await asyncio.to_thread(lambda: library.catalogue)
    texts = {entry.id: entry.text for entry in catalogue.entries()}
    try:
        root, rest = edits.tree(edits.load(checked.content), texts)
    except edits.DraftError:
        root, rest = None, []
    settings = request.app.state.settings
    return page(
        request,
        "menus.html",
        who,
        status_code=status_code,
        message=message,
        draft=stored,
        checked=checked,
        problems={
            node: [rule_words(v, settings.ivr) for v in found]
            for node, found in checked.by_node.items()
        },
        root=root,
        rest=rest,
        catalogue=catalogue.entries(),
        actions=[a.value for a in Action],
        kinds=[k.value for k in NodeKind],
        departments=list(settings.queue.departments),
        history=await editor.versions.history(),
        OWN_TEXT_MAX=OWN_TEXT_MAX,
        ivr=settings.ivr,
        transcript=transcript,
    )


async def _edit(request: Request, who: Viewer, change: edits.Change) -> Response:
    try:
        await editor_of(request).edit(change, who.actor)
    except (edits.DraftError, ValueError) as exc:
        return await _page(request, who, f"Изменение не внесено: {exc}", 422)
    return RedirectResponse(MENUS, status_code=303)


@router.post(f"{MENUS}/nodes")
async def node_add(
    request: Request,
    who: Writer,
    parent: NodeIdField,
    key: Key,
    kind: Annotated[str, Form(max_length=16)],
    node_id: NodeIdField = "",
    action: Annotated[str, Form(max_length=32)] = "",
    text: TextField = "",
    prompt_id: NodeIdField = "",
) -> Response:
    def change(data: edits.Data) -> None:
        edits.add_node(
            data,
            parent=parent,
            key=key,
            kind=kind,
            node_id=node_id,
            action=action,
            text=text,
            prompt_id=prompt_id,
        )

    return await _edit(request, who, change)


@router.post(MENUS + "/nodes/{node_id}/remove")
async def node_remove(request: Request, node_id: str, who: Writer) -> Response:
    return await _edit(request, who, lambda data: edits.remove_node(data, node_id))


@router.post(MENUS + "/nodes/{node_id}/move")
async def node_move(
    request: Request, node_id: str, who: Writer, parent: NodeIdField, key: Key
) -> Response:
    return await _edit(
        request, who, lambda data: edits.move_node(data, node_id, parent=parent, key=key)
    )


@router.post(MENUS + "/nodes/{node_id}/prompt")
async def node_prompt(
    request: Request, node_id: str, who: Writer, text: TextField = "", prompt_id: NodeIdField = ""
) -> Response:
    return await _edit(
        request,
        who,
        lambda data: edits.set_prompt(data, node_id, text=text, prompt_id=prompt_id),
    )


@router.post(MENUS + "/nodes/{node_id}/action")
async def node_action(
    request: Request,
    node_id: str,
    who: Writer,
    action: Annotated[str, Form(max_length=32)],
    queue: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    return await _edit(request, who, lambda data: edits.set_action(data, node_id, action, queue))


@router.post(f"{MENUS}/text")
async def draft_text(
    request: Request, who: Writer, content: Annotated[str, Form(max_length=CONTENT_MAX)]
) -> Response:
    try:
        await editor_of(request).save_text(content.replace("\r\n", "\n"), who.actor)
    except (edits.DraftError, ValueError) as exc:
        return await _page(request, who, f"Текст не сохранён: {exc}", 422)
    return RedirectResponse(MENUS, status_code=303)


@router.post(f"{MENUS}/discard")
async def draft_discard(request: Request, who: Writer) -> Response:
    await editor_of(request).discard()
    return RedirectResponse(MENUS, status_code=303)


@router.post(f"{MENUS}/publish")
async def draft_publish(request: Request, who: Writer) -> Response:
    try:
        record = await editor_of(request).publish(who.actor)
    except MenuRefused as exc:
        message = "Меню не опубликовано: исправьте отмеченные узлы."
        return await _page(request, who, message, 422, exc.checked)
    except MenuUnchanged:
        return await _page(request, who, "Черновик совпадает с действующей версией.", 409)
    return await _page(request, who, f"Опубликована версия {record.version}.")


@router.post(MENUS + "/versions/{version}/rollback")
async def version_rollback(request: Request, version: int, who: Writer) -> Response:
    try:
        record = await editor_of(request).rollback(version, who.actor)
    except UnknownVersion:
        return await _page(request, who, f"Версии {version} нет.", 404)
    except MenuRefused as exc:
        message = f"Версия {version} не восстановлена: она нарушает правила."
        return await _page(request, who, message, 422, exc.checked)
    except MenuUnchanged:
        return await _page(request, who, f"Версия {version} уже действует.", 409)
    return await _page(
        request, who, f"Версия {version} восстановлена как версия {record.version}."
    )


@router.post(f"{MENUS}/simulate")
async def draft_simulate(
    request: Request,
    who: Writer,
    dtmf: Annotated[str, Form(max_length=DTMF_MAX)] = "",
    caller_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A simulated call through Asterisk on the draft (``hotline call simulate``'s simulator;
    the running engine plays the draft to this call only)."""
    editor = editor_of(request)
    settings = request.app.state.settings
    stored = await editor.draft()
    checked = await editor.check(await editor.draft_content())
    if not checked.valid:
        message = "Звонок не начат: сначала исправьте отмеченные узлы."
        return await _page(request, who, message, 422, checked)
    if not await fastagi_listening(settings):
        return await _page(request, who, "Звонок не начат: движок IVR не запущен.", 503, checked)
    try:
        ami = ami_client(settings, AmiRole.CLI)
    except AmiSecretMissing as exc:
        return await _page(request, who, f"Звонок не начат: {exc}", 503, checked)
    draft = content_sha256(stored.content) if stored is not None else None
    try:
        async with ami:
            transcript = await Simulator(
                ami, CallLog(request.app.state.db), settings.simulate
            ).run(dtmf, caller_id.strip() or None, draft=draft)
    except (SimulationError, AmiError) as exc:
        return await _page(request, who, f"Звонок не удался: {exc}", 422, checked)
    return await _page(request, who, None, 200, checked, transcript)


@router.get(MENUS + "/audio/{prompt_id}")
async def prompt_audio(request: Request, prompt_id: str, who: Reader) -> Response:
    """A prompt of the draft as WAV for the browser's <audio>: an own prompt synthesised now
    (cached) with the configured voice, a catalogue prompt from the build."""
    editor = editor_of(request)
    library = library_of(request)
    try:
        data = edits.load(await editor.draft_content())
    except edits.DraftError:
        data = {}
    own = edits.own_texts(data)
    try:
        if prompt_id in own:
            sound = await library.speak(own[prompt_id])
            base = sound.path_without_extension
        else:
            base = (await asyncio.to_thread(library.sound, prompt_id)).path_without_extension
        wav = await asyncio.to_thread(audio.wav_of, base)
    except (PromptsNotBuilt, SpeechError, OSError, KeyError) as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such prompt") from exc
    return Response(wav, media_type=WAV_MEDIA)
