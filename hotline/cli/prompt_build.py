"""Building prompts from the command line with a rich progress bar (`hotline prompts build`,
and `hotline call simulate` when the built set lacks prompts)."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from hotline.speech.library import BuildReport, PromptLibrary


class _Bar:
    """A rich progress bar fed by :meth:`PromptLibrary.build`."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None
        self.rendered = 0

    def start(self, total: int) -> None:
        self.task = self.progress.add_task("rendering", total=total, last="")

    def advance(self, prompt_id: str, rendered: bool) -> None:
        self.rendered += rendered
        if self.task is not None:
            self.progress.update(
                self.task, advance=1, last=f"{prompt_id} ({'rendered' if rendered else 'reused'})"
            )


def build_with_progress(library: PromptLibrary, console: Console) -> BuildReport:
    """Build what changed, showing a bar on a terminal (CatalogueError, SpeechError)."""
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
    )
    bar = Progress(*columns, console=console, transient=True, disable=not console.is_terminal)
    with bar as progress:
        return asyncio.run(library.build(_Bar(progress)))


def missing_prompts(library: PromptLibrary) -> list[str]:
    """Ids of prompts and fragments not built, or built from other text, for the voice."""
    return [s.id for s in library.check() if s.state != "ok"]


def ensure_built(library: PromptLibrary, console: Console) -> BuildReport | None:
    """Build the prompts the configured voice lacks (None when nothing was missing)."""
    missing = missing_prompts(library)
    if not missing:
        return None
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    console.print(f"prompts not built: {shown}; building them now")
    return build_with_progress(library, console)
