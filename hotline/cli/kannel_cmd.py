"""hotline kannel: the SMS gateway.  `render DIR` writes kannel.conf for a production Kannel
(every interface on loopback; the operator's SMSC goes in DIR/smsc.conf, an SMPP example is
written beside it); `run` runs the sandbox's Kannel (bearerbox, smsbox and fakesmsc as the
SMSC) in the foreground until Ctrl-C."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from hotline.cli.context import settings_of
from hotline.cli.support import EXIT_FAILED, EXIT_MISCONFIGURED
from hotline.sandbox.kannel import KannelError, KannelRunner
from hotline.transport.kannel_config import (
    CONFIG_FILE,
    SMSC_EXAMPLE,
    SMSC_EXAMPLE_FILE,
    KannelConfigError,
    render_kannel_config,
)

app = typer.Typer(no_args_is_help=True, help=__doc__)


def _password(name: str, secret_file: Path | None, configured: str | None) -> str:
    if secret_file is not None:
        try:
            value = secret_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            typer.echo(f"cannot read Kannel's {name} password: {exc}", err=True)
            raise typer.Exit(EXIT_MISCONFIGURED) from exc
    else:
        value = configured or ""
    if not value:
        typer.echo(
            f"no Kannel {name} password: set sms.{name}_password "
            f"(HOTLINE_SMS__{name.upper()}_PASSWORD) or pass --{name}-password-file",
            err=True,
        )
        raise typer.Exit(EXIT_MISCONFIGURED)
    return value


@app.command()
def render(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Argument(help="Directory to write kannel.conf into.")],
    admin_password_file: Annotated[Path | None, typer.Option()] = None,
    sendsms_password_file: Annotated[Path | None, typer.Option()] = None,
    fake_smsc: Annotated[
        bool, typer.Option("--fake-smsc", help="Kannel's fake SMSC instead of smsc.conf.")
    ] = False,
) -> None:
    """Write kannel.conf (and smsc.conf.example) for this engine's settings."""
    settings = settings_of(ctx)
    sms = settings.sms
    admin = _password(
        "admin",
        admin_password_file,
        sms.admin_password.get_secret_value() if sms.admin_password else None,
    )
    sendsms = _password(
        "sendsms",
        sendsms_password_file,
        sms.sendsms_password.get_secret_value() if sms.sendsms_password else None,
    )
    try:
        text = render_kannel_config(
            sms,
            admin_password=admin,
            sendsms_password=sendsms,
            work_dir=out_dir,
            fake_smsc=fake_smsc,
        )
    except (KannelConfigError, ValueError) as exc:
        typer.echo(f"kannel: {exc}", err=True)
        raise typer.Exit(EXIT_MISCONFIGURED) from exc
    out_dir.mkdir(parents=True, exist_ok=True)
    config = out_dir / CONFIG_FILE
    config.write_text(text, encoding="utf-8")
    config.chmod(0o640)
    (out_dir / SMSC_EXAMPLE_FILE).write_text(SMSC_EXAMPLE, encoding="utf-8")
    typer.echo(f"wrote {config} and {out_dir / SMSC_EXAMPLE_FILE}")


@app.command()
def run(ctx: typer.Context) -> None:
    """Run the sandbox's Kannel with fakesmsc as the SMSC until Ctrl-C or SIGTERM."""
    settings = settings_of(ctx)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        with KannelRunner(settings) as kannel:
            typer.echo(
                f"Kannel up: sendsms on 127.0.0.1:{settings.sms.sendsms_port}, "
                f"messages in {kannel.fakesmsc_output}"
            )
            stop.wait()
    except KannelError as exc:
        typer.echo(f"kannel: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
