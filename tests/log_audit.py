"""M7 over the whole suite: every log written during a test session is grepped for the test
phone and account numbers in clear (Done-when of issue 14).

What is grepped:

* the sandbox Asterisk's log folder (``/var/log/asterisk`` in the chroot under the sandbox
  cache dir), only what was appended during the session (offsets taken at its start);
* the session's log folder (``TESTS_HOTLINE_LOG_DIR``): the engine's and the console's output
  the end-to-end fixtures capture, and the in-process records at INFO and above;
* every ``*.log`` / ``*.out`` / ``*.err`` file under the session's pytest base temp folder.

The numbers come from the fixtures and the sample data (``samples/accounts.csv`` read the way
the importer reads phones, and the end-to-end accounts fixture), never from copies here.
Files that are test inputs by nature (CSV fixtures, databases) are not logs and are not read:
only the names above are.

The root conftest runs :func:`audit` in ``pytest_sessionfinish`` on the controller (not on
xdist workers), after every test, and fails the session when anything is found.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

LOG_DIR_ENV = "TESTS_HOTLINE_LOG_DIR"
LOG_SUFFIXES = frozenset({".log", ".out", ".err"})
SAMPLE_ACCOUNTS = Path(__file__).resolve().parent.parent / "samples" / "accounts.csv"


@dataclass(frozen=True)
class Finding:
    path: Path
    line_no: int
    value: str
    line: str

    def __str__(self) -> str:
        shown = self.line.strip().replace(self.value, _masked(self.value))
        return f"{self.path}:{self.line_no}: {_masked(self.value)} in clear: {shown[:300]}"


def _masked(value: str) -> str:
    return value[:3] + "*" * max(len(value) - 5, 0) + value[-2:]


def sensitive_values() -> frozenset[str]:
    """The test phone numbers (their 7XXXXXXXXXX and 10-digit national forms) and account
    numbers the fixtures and the sample data hold."""
    from hotline.core.phones import phone_digits
    from tests.e2e.test_readings_calls import accounts

    phones: set[str] = set()
    numbers: set[str] = set()
    with SAMPLE_ACCOUNTS.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            numbers.add(row["account"].strip())
            for raw in (row.get("phones") or "").split(","):
                if raw.strip():
                    phones.add(phone_digits(raw))
    for account in accounts():
        numbers.add(account.number)
        phones.update(phone_digits(phone) for phone in account.phones)
    values = {number for number in numbers if number}
    for phone in phones:
        values.add(phone)
        if len(phone) == 11 and phone.startswith("7"):
            values.add(phone[1:])
    return frozenset(values)


def _pattern(values: Iterable[str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted((re.escape(v) for v in values), key=len, reverse=True))
    # Digit boundaries: a masked number or a longer unrelated one is not a hit.
    return re.compile(rf"(?<!\d)({alternatives})(?!\d)")


def scan_text(path: Path, text: str, values: Iterable[str], first_line: int = 1) -> list[Finding]:
    pattern = _pattern(values)
    return [
        Finding(path, first_line + index, match.group(1), line)
        for index, line in enumerate(text.splitlines())
        for match in [pattern.search(line)]
        if match is not None
    ]


def _read_from(path: Path, offset: int, inode: int | None = None) -> str:
    try:
        if inode is not None and path.stat().st_ino != inode:
            offset = 0  # replaced: all of it is new
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(offset if offset <= size else 0)  # shrunk: rotated, read it all
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _files(folder: Path | None) -> Iterator[Path]:
    if folder is None or not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def asterisk_log_dir() -> Path:
    from hotline.sandbox.layout import ASTERISK_LOG_DIR, SandboxLayout
    from hotline.settings import load_settings

    return SandboxLayout.of(load_settings()).in_root(ASTERISK_LOG_DIR)


def instance_log_dirs() -> list[Path]:
    """The Asterisk log folders of the xdist workers' sandbox instances: each lives in its
    instance's overlay layer, emptied when the instance is mounted, so all of it is this
    session's."""
    from hotline.sandbox.layout import ASTERISK_LOG_DIR, SandboxLayout
    from hotline.settings import load_settings

    relative = ASTERISK_LOG_DIR.lstrip("/")
    layout = SandboxLayout.of(load_settings())
    return [instance.overlay_upper / relative for instance in layout.instances()]


def _identity(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_size


def offsets(folder: Path) -> dict[str, tuple[int, int]]:
    """The inode and size of every file under ``folder`` (what was there before the session;
    a file replaced since is read whole)."""
    return {str(path): _identity(path) for path in _files(folder)}


def audit(
    values: Iterable[str],
    *,
    asterisk_dir: Path | None,
    asterisk_offsets: dict[str, tuple[int, int]],
    log_dir: Path | None,
    temp_dir: Path | None,
    instance_dirs: Iterable[Path] = (),
) -> list[Finding]:
    values = list(values)
    findings: list[Finding] = []
    for path in _files(asterisk_dir):
        inode, offset = asterisk_offsets.get(str(path), (None, 0))
        text = _read_from(path, offset, inode)
        findings += scan_text(path, text, values)
    for folder in instance_dirs:
        for path in _files(folder):
            findings += scan_text(path, _read_from(path, 0), values)
    for path in _files(log_dir):
        findings += scan_text(path, _read_from(path, 0), values)
    for path in _files(temp_dir):
        if path.suffix in LOG_SUFFIXES and (log_dir is None or log_dir not in path.parents):
            findings += scan_text(path, _read_from(path, 0), values)
    return findings


def session_log_dir() -> Path:
    """The session's log folder; the controller creates it and exports it to its children."""
    existing = os.environ.get(LOG_DIR_ENV)
    if existing:
        return Path(existing)
    folder = Path(tempfile.mkdtemp(prefix="hotline-test-logs-"))
    os.environ[LOG_DIR_ENV] = str(folder)
    return folder


def log_file(name: str) -> Path:
    """A fresh file in the session's log folder for a process the fixtures start."""
    folder = session_log_dir()
    handle, path = tempfile.mkstemp(prefix=f"{name}-", suffix=".log", dir=folder)
    os.close(handle)
    return Path(path)


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {"level": record.levelname, "logger": record.name, "msg": super().format(record)},
            ensure_ascii=False,
        )


def capture_in_process_logs(worker: str) -> logging.Handler:
    """Records at INFO and above of this pytest process (the in-process engine and console)
    into the session's log folder."""
    handler = logging.FileHandler(log_file(f"pytest-{worker}"), encoding="utf-8", delay=True)
    handler.setLevel(logging.INFO)
    handler.setFormatter(_Formatter())
    logging.getLogger().addHandler(handler)
    return handler
