"""Human-readable output shared by the CLI commands and the demo."""

from __future__ import annotations

from rich.console import Console

from hotline.calls.simulator import Transcript


def render_transcript(transcript: Transcript, console: Console) -> None:
    console.print(
        f"[bold]call {transcript.uniqueid}[/] from {transcript.caller_id or 'anonymous'}"
    )
    console.print(
        f"  route: {transcript.route or '-'}   nodes: {' > '.join(transcript.nodes) or '-'}"
    )
    for step in transcript.steps:
        extra = " ".join(f"{k}={v}" for k, v in step.detail.items() if v not in (None, ""))
        console.print(f"  {step.at:7.2f}s  {step.kind:<8} {step.value} {extra}".rstrip())
    measured = [audio for audio in transcript.audio if audio.duration is not None]
    if measured:
        console.print("  audio played:")
        for audio in measured:
            played = f", played {audio.played:.2f}s" if audio.played is not None else ""
            console.print(f"    {audio.file}  {audio.duration:.2f}s{played}")
    reason = f" ({transcript.operator_reason})" if transcript.operator_reason else ""
    console.print(
        f"  outcome: [bold]{transcript.outcome}[/]{reason}   digits received: "
        f"{transcript.digits_received or '-'}   duration: {transcript.duration:.1f}s"
    )
