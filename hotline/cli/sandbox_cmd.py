"""hotline sandbox: placeholder until the sandbox lands."""
import typer

app = typer.Typer(no_args_is_help=True)
