"""hotline_ami_connected says 1 while any client of the process is logged in to the node: one
client's disconnect (a test's helper, the CLI's) does not hide the engine's live connection."""

from __future__ import annotations

from hotline.core.metrics import AMI_CONNECTED, mark_ami_connected

NODE = "127.0.0.9:5038"


def value() -> float:
    return AMI_CONNECTED.labels(NODE)._value.get()


def test_the_gauge_stays_up_while_another_client_is_logged_in() -> None:
    mark_ami_connected(NODE, 1, connected=True)
    mark_ami_connected(NODE, 2, connected=True)
    mark_ami_connected(NODE, 2, connected=False)
    assert value() == 1
    mark_ami_connected(NODE, 1, connected=False)
    assert value() == 0
