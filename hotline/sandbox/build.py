"""Build the Debian sid chroot with Asterisk 22 (ecosystem.md section 0), once, atomically.

The chroot is built in ``root.build-<pid>`` next to its final place and renamed into place only
when complete, with a stamp recording the recipe; a changed recipe builds a fresh chroot.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from hotline.sandbox.commands import in_chroot, run
from hotline.sandbox.layout import SandboxError, SandboxLayout
from hotline.sandbox.mounts import ensure_mounts, remove_tree, unmount_all
from hotline.settings import Settings

Progress = Callable[[str], None]

# Bump when anything below changes what ends up in the chroot.
RECIPE_VERSION: Final = 1
PACKAGES: Final = (
    "asterisk",
    "asterisk-core-sounds-ru",
    "asterisk-core-sounds-ru-gsm",
    "asterisk-core-sounds-ru-wav",
    "sip-tester",
)
# The mirror may serve a snapshot whose Release files have expired.
APT_OPTIONS: Final = ("-o", "Acquire::Check-Valid-Until=false")
DEFAULT_MIRROR: Final = "http://deb.debian.org/debian"
DEBOOTSTRAP_TIMEOUT: Final = 1200.0
APT_TIMEOUT: Final = 1200.0
_APT_CONF: Final = """\
// Written by hotline's sandbox build.
Acquire::Check-Valid-Until "false";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
"""
# No service may start inside the chroot while packages install.
_POLICY_RC_D: Final = "#!/bin/sh\nexit 101\n"


def recipe(settings: Settings) -> dict[str, Any]:
    return {"version": RECIPE_VERSION, "suite": settings.sandbox.suite, "packages": list(PACKAGES)}


def read_stamp(layout: SandboxLayout) -> dict[str, Any] | None:
    try:
        data = json.loads(layout.stamp.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_current(layout: SandboxLayout, settings: Settings) -> bool:
    stamp = read_stamp(layout)
    return stamp is not None and stamp.get("recipe") == recipe(settings)


def host_mirror(apt_dir: Path = Path("/etc/apt")) -> str | None:
    """The first Debian archive URI in the host's apt sources (deb822 or one-line style)."""
    candidates: list[str] = []
    for sources in sorted((apt_dir / "sources.list.d").glob("*.sources")):
        for match in re.finditer(r"^URIs:\s*(.+)$", sources.read_text(encoding="utf-8"), re.M):
            candidates.extend(match.group(1).split())
    one_line = [apt_dir / "sources.list", *sorted((apt_dir / "sources.list.d").glob("*.list"))]
    for path in one_line:
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                fields = re.sub(r"\[[^]]*\]", "", line).split()
                if len(fields) >= 2 and fields[0] == "deb":
                    candidates.append(fields[1])
    for uri in candidates:
        if "security" not in uri and "debian" in uri:
            return uri.rstrip("/")
    return None


def mirror_of(settings: Settings) -> str:
    return settings.sandbox.mirror or host_mirror() or DEFAULT_MIRROR


def check_host(building: bool) -> None:
    if os.geteuid() != 0:
        raise SandboxError("the sandbox needs root (debootstrap, mount and chroot)")
    tools = ("debootstrap", "chroot", "mount", "umount") if building else ("chroot", "mount")
    for tool in tools:
        if shutil.which(tool) is None:
            raise SandboxError(
                f"`{tool}` not found; install the host packages with "
                "scripts/install-system-deps.sh (make system-deps)"
            )


def build(layout: SandboxLayout, settings: Settings, progress: Progress) -> None:
    """Build a fresh chroot and publish it at ``layout.root`` (the caller stopped Asterisk)."""
    check_host(building=True)
    layout.base.mkdir(parents=True, exist_ok=True)
    for stale in [*layout.base.glob("root.build-*"), *layout.base.glob("root.old-*")]:
        progress(f"removing an unfinished or old chroot: {stale.name}")
        remove_tree(stale)
    temp = layout.base / f"root.build-{os.getpid()}"
    log = layout.build_log
    log.write_text("", encoding="utf-8")
    mirror = mirror_of(settings)
    suite = settings.sandbox.suite
    started = time.monotonic()
    try:
        progress(f"building a Debian {suite} chroot in {layout.root} from {mirror} (log: {log})")
        progress("debootstrap --variant=minbase (about 30 s)")
        run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=ca-certificates",
                suite,
                str(temp),
                mirror,
            ],
            timeout=DEBOOTSTRAP_TIMEOUT,
            log=log,
        )
        _prepare_apt(temp)
        ensure_mounts(temp)
        progress("apt-get update")
        run(in_chroot(temp, ["apt-get", *APT_OPTIONS, "update"]), timeout=APT_TIMEOUT, log=log)
        progress(f"apt-get install {' '.join(PACKAGES)}")
        run(
            in_chroot(
                temp,
                ["apt-get", *APT_OPTIONS, "install", "-y", "--no-install-recommends", *PACKAGES],
            ),
            timeout=APT_TIMEOUT,
            log=log,
        )
        run(in_chroot(temp, ["apt-get", "clean"]), timeout=APT_TIMEOUT, log=log)
        version = run(in_chroot(temp, ["asterisk", "-V"]), timeout=30).stdout.strip()
        # Debian's sample configs stay for reference, out of Asterisk's way: only ours load.
        os.rename(temp / "etc/asterisk", temp / "etc/asterisk.dist")
        (temp / "etc/asterisk").mkdir()
        unmount_all(temp)
        stamp = {
            "recipe": recipe(settings),
            "mirror": mirror,
            "asterisk": version,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (temp / layout.stamp.relative_to(layout.root)).write_text(
            json.dumps(stamp, indent=2) + "\n", encoding="utf-8"
        )
        _publish(layout, temp)
    except BaseException as exc:
        try:
            remove_tree(temp)
        except (SandboxError, OSError) as cleanup:
            exc.add_note(f"and cleaning up failed: {cleanup}")
        raise
    progress(f"built {version} in {time.monotonic() - started:.0f} s")


def _prepare_apt(root: Path) -> None:
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text(_POLICY_RC_D, encoding="utf-8")
    policy.chmod(0o755)
    (root / "etc/apt/apt.conf.d/99hotline").write_text(_APT_CONF, encoding="utf-8")


def _publish(layout: SandboxLayout, temp: Path) -> None:
    if layout.root.exists():
        old = layout.base / f"root.old-{os.getpid()}"
        unmount_all(layout.root)
        os.rename(layout.root, old)
        os.rename(temp, layout.root)
        remove_tree(old)
    else:
        os.rename(temp, layout.root)
