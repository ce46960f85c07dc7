"""hotline menu: check the IVR menu against the service standard, show its tree and its schema;
publish versions to the running engine, list them and roll back."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from hotline.cli.context import settings_of
from hotline.cli.support import current_user, run_with_db
from hotline.settings import Settings
from hotline.speech.catalogue import CatalogueError
from hotline.speech.library import PromptLibrary, PromptsNotBuilt
from hotline.store.db import Database
from hotline.store.menus import MenuVersionRecord
from ivr.menu.loader import load_menu
from ivr.menu.model import Menu, MenuNode, NodeKind
from ivr.menu.own_prompts import with_own
from ivr.menu.spec import menu_json_schema_text
from ivr.menu.standard import menu_wording, validate_file, validate_text, voice_label
from ivr.menu.structure import MenuError
from ivr.menu.versions import MenuUnchanged, MenuVersions, UnknownVersion

app = typer.Typer(no_args_is_help=True, help=__doc__)

EXIT_INVALID = 1
DEFAULT_SCHEMA = Path("menus/schema.json")

FileArg = Annotated[
    Path | None,
    typer.Argument(help="Menu file (default: settings ivr.menu_file).", show_default=False),
]
VoiceOpt = Annotated[
    list[str] | None,
    typer.Option("--voice", help="Measure with this voice of the backend (repeatable)."),
]
AuthorOpt = Annotated[
    str | None, typer.Option("--author", help="Who publishes it (default: $USER).")
]
AllVoicesOpt = Annotated[
    bool, typer.Option("--all-voices", help="Measure with every built voice of the backend.")
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"menu: {message}", err=True)
    return typer.Exit(EXIT_INVALID)


def _chosen_voices(
    settings: Settings, library: PromptLibrary, voice: list[str] | None, all_voices: bool
) -> list[str]:
    chosen = list(dict.fromkeys(voice or []))
    if all_voices:
        built = library.voices()
        if not built:
            raise _fail(
                f"no voices of backend {library.backend_name} are built in "
                f"{library.sounds_root}: run `hotline prompts build`"
            )
        chosen = [*built, *(v for v in chosen if v not in built)]
    return chosen or [settings.speech.voice]


@app.command()
def validate(
    ctx: typer.Context,
    file: FileArg = None,
    voice: VoiceOpt = None,
    all_voices: AllVoicesOpt = False,
) -> None:
    """Check the menu: structure, levels, options per level, seconds of speech per level
    (measured on the rendered prompts of each voice), reserved keys, prompt ids.
    Exit 1 with every violation (node, rule, measured value) if one is broken."""
    settings = settings_of(ctx)
    path = file or settings.ivr.menu_file
    library = PromptLibrary(settings)
    voices = _chosen_voices(settings, library, voice, all_voices)
    try:
        menu = asyncio.run(validate_file(path, settings, library, voices))
    except MenuError as exc:
        typer.echo(f"menu: {exc}", err=True)
        raise typer.Exit(EXIT_INVALID) from exc
    except CatalogueError as exc:
        raise _fail(f"prompt catalogue: {exc}") from exc
    for _node, finding in menu_wording(menu, with_own(library.catalogue, menu), settings.wording):
        typer.echo(f"menu: {finding}", err=True)
    levels = max(level for node, level in menu.walk() if node.kind is NodeKind.MENU)
    labels = ", ".join(voice_label(library, v) for v in voices)
    typer.echo(
        f"menu: {path} is valid: {len(menu.nodes)} nodes, {levels} menu level"
        f"{'s' if levels != 1 else ''} (limit {settings.ivr.max_levels}), voice"
        f"{'s' if len(voices) != 1 else ''} {labels}"
    )


@app.command()
def show(
    ctx: typer.Context,
    file: FileArg = None,
    voice: VoiceOpt = None,
    all_voices: AllVoicesOpt = False,
) -> None:
    """Print the menu tree: levels, keys, prompt ids and their measured seconds per voice
    (default: every built voice; over the limit in red)."""
    settings = settings_of(ctx)
    path = file or settings.ivr.menu_file
    library = PromptLibrary(settings)
    try:
        menu = load_menu(path)
    except MenuError as exc:
        typer.echo(f"menu: {exc}", err=True)
        raise typer.Exit(EXIT_INVALID) from exc
    if voice or all_voices:
        voices = _chosen_voices(settings, library, voice, all_voices)
    else:
        voices = library.voices() or [settings.speech.voice]
    console = Console()
    if not console.is_terminal:
        console = Console(width=200, no_color=True)
    console.print(_tree(menu, settings, library, voices))
    try:
        asyncio.run(validate_file(path, settings, library, voices))
    except MenuError as exc:
        count = len(exc.violations)
        console.print(
            f"{count} problem{'s' if count != 1 else ''}: run `hotline menu validate`",
            style="red",
        )
    except CatalogueError as exc:
        raise _fail(f"prompt catalogue: {exc}") from exc


def _tree(menu: Menu, settings: Settings, library: PromptLibrary, voices: list[str]) -> Tree:
    ivr = settings.ivr
    labels = [voice_label(library, v) for v in voices]
    title = Text.assemble(
        (menu.name, "bold"),
        f" ({menu.source}); seconds per voice: {', '.join(labels)}; on every level: "
        f"{ivr.operator_key} operator, {ivr.back_key} back, {ivr.main_key} main menu",
    )
    root = Tree(title)
    branches: dict[str, Tree] = {}
    for node, level in menu.walk():
        parent = menu.parent(node.id)
        key = menu.key_to(node.id)
        label = _node_label(node, level, key, menu, settings, library, voices)
        branches[node.id] = (branches[parent] if parent else root).add(label)
    return root


def _node_label(
    node: MenuNode,
    level: int,
    key: str | None,
    menu: Menu,
    settings: Settings,
    library: PromptLibrary,
    voices: list[str],
) -> Text:
    label = Text()
    if key is not None:
        label.append(f"{key} ", "bold cyan")
    label.append(node.id, "bold")
    what = str(node.kind)
    if node.action is not None:
        what += f" {node.action}" + (f" (reason {node.reason})" if node.reason else "")
    if node.kind is NodeKind.INFO:
        what += f", then {node.then}"
    label.append(f"  {what}, level {level}", "dim")
    if node.prompts is None:
        return label
    limit = settings.ivr.max_level_speech_seconds
    for variant, prompt_id in node.prompts.items():
        name = "short+detailed" if node.prompts.short == node.prompts.detailed else variant
        label.append(f"\n{name} {prompt_id}:")
        if prompt_id in menu.texts:
            label.append(f" «{menu.texts[prompt_id]}» (own text)")
            continue
        if prompt_id not in library.catalogue:
            label.append(" unknown prompt", "red")
            continue
        for voice in voices:
            try:
                seconds = library.duration(prompt_id, voice)
            except PromptsNotBuilt:
                label.append(f" {voice} not built", "yellow")
                continue
            label.append(f" {voice} {seconds:.1f} s", "red" if seconds > limit else "green")
    return label


@app.command()
def schema(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the schema to this file (else print it)."),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help=f"Exit 1 if {DEFAULT_SCHEMA} (or --output) is out of date."),
    ] = False,
) -> None:
    """The JSON schema of menu files, generated from the menu model (menus/schema.json)."""
    text = menu_json_schema_text()
    if check:
        target = output or DEFAULT_SCHEMA
        try:
            current = target.read_text(encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot read {target}: {exc.strerror or exc}") from exc
        if current != text:
            raise _fail(f"{target} is out of date: run `hotline menu schema -o {target}`")
        typer.echo(f"menu: {target} is up to date")
    elif output is not None:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"menu: wrote {output}")
    else:
        typer.echo(text, nl=False)


@app.command()
def publish(ctx: typer.Context, file: FileArg = None, author: AuthorOpt = None) -> None:
    """Validate the menu and store it as the new active version: the running engine serves
    it to new calls within ivr.menu_reload_seconds; calls in progress keep their version.
    A menu that breaks a rule is refused with every violation."""
    settings = settings_of(ctx)
    path = file or settings.ivr.menu_file
    library = PromptLibrary(settings)
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror or exc}") from exc
    _validate_or_exit(content, str(path), settings, library, "not published")
    who = author or current_user()

    async def work(db: Database) -> MenuVersionRecord:
        return await MenuVersions(db).publish(content, str(path), who)

    try:
        record = run_with_db(settings, work, command="menu", errors=())
    except MenuUnchanged as exc:
        raise _fail(f"not published: {exc}") from exc
    except ValueError as exc:
        raise _fail(f"not published: {exc}") from exc
    typer.echo(f"menu: published {path} as version {record.version}: {record.summary}")


@app.command()
def history(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Versions to list.")] = 20,
) -> None:
    """Published menu versions, newest (the active one) first."""
    settings = settings_of(ctx)

    async def work(db: Database) -> list[MenuVersionRecord]:
        return await MenuVersions(db).history(limit)

    records = run_with_db(settings, work, command="menu", errors=())
    if not records:
        typer.echo(f"menu: no version published; the engine runs {settings.ivr.menu_file}")
        return
    table = Table("version", "published (UTC)", "author", "name", "sha256", "changes")
    for index, record in enumerate(records):
        mark = " (active)" if index == 0 else ""
        table.add_row(
            f"{record.version}{mark}",
            record.published_at.strftime("%Y-%m-%d %H:%M:%S"),
            record.author,
            record.name,
            record.sha256[:12],
            record.summary,
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=200, no_color=True)
    console.print(table)


@app.command()
def rollback(
    ctx: typer.Context,
    version: Annotated[int, typer.Argument(help="The version to make active again.")],
    author: AuthorOpt = None,
) -> None:
    """Make an earlier version active again (stored as a new version, so the history shows
    the rollback).  Its content is validated again first: prompts or limits may have
    changed since it was published."""
    settings = settings_of(ctx)
    library = PromptLibrary(settings)
    who = author or current_user()

    async def fetch(db: Database) -> MenuVersionRecord | None:
        return await MenuVersions(db).get(version)

    earlier = run_with_db(settings, fetch, command="menu", errors=())
    if earlier is None:
        raise _fail(f"no menu version {version}: see `hotline menu history`")
    source = f"menu version {version} ({earlier.source})"
    _validate_or_exit(earlier.content, source, settings, library, "not rolled back")

    async def work(db: Database) -> MenuVersionRecord:
        return await MenuVersions(db).rollback(version, who)

    try:
        record = run_with_db(settings, work, command="menu", errors=())
    except (MenuUnchanged, UnknownVersion) as exc:
        raise _fail(f"not rolled back: {exc}") from exc
    typer.echo(f"menu: version {version} is active again as version {record.version}")


def _validate_or_exit(
    content: str, source: str, settings: Settings, library: PromptLibrary, refused: str
) -> None:
    try:
        asyncio.run(validate_text(content, source, settings, library))
    except MenuError as exc:
        typer.echo(f"menu: {refused}: {exc}", err=True)
        raise typer.Exit(EXIT_INVALID) from exc
    except CatalogueError as exc:
        raise _fail(f"{refused}: prompt catalogue: {exc}") from exc
