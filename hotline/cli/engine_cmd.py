"""placeholder"""


def run() -> None:
    """Run the engine."""


def demo() -> None:
    """Run the demo."""
