"""A real Asterisk 22 for development and tests: a Debian sid chroot run on this machine.

``hotline sandbox up|down|status|cli`` and the :class:`Sandbox` API build it once (cached in
``settings.sandbox_dir``), render ``asterisk_conf/`` into it and run Asterisk on 127.0.0.1.
"""

from hotline.sandbox.layout import SandboxError, SandboxLayout
from hotline.sandbox.sandbox import Sandbox, SandboxStatus
from hotline.sandbox.secret import ami_secret

__all__ = ["Sandbox", "SandboxError", "SandboxLayout", "SandboxStatus", "ami_secret"]
