"""Session-wide hooks.

* Under pytest-xdist every worker is isolated (ports, sandbox instance, SQLite folder,
  PostgreSQL database) before anything reads settings, and tests are spread one by one, the
  longest first (``tests/xdist_order.py``); every end-to-end test stands alone on its worker's
  sandbox.  No test may rely on ``xdist_group`` to share a worker or to keep others away: with
  pytest 9, pytest-xdist's ``--dist loadgroup`` no longer groups (a group's tests ran on three
  workers), so tests that must not overlap wait on a file lock (``tests/e2e/bed_lock.py``).
* The log audit of issue 14 (no test phone or account number in clear in any log written during
  the suite; see ``tests/log_audit.py``).  On the controller (plain pytest, or xdist's master)
  the session's log folder is created and exported before any worker starts, the sandbox log
  sizes are noted, and after the last test every log (the workers' sandbox instances' included)
  is grepped; a hit fails the session.  xdist workers only write their logs there.
* On a cold machine the controller builds the sandbox's chroot and renders the prompts while
  the workers start (``tests/bed_warmup.py``); the workers' fixtures find them built.
* A new SQLite database migrated to head is a copy of a template migrated once per process
  (``tests/db_template.py``), except in tests marked ``migrations``.
* Hypothesis runs without its wall-clock checks (no per-example deadline, no "input generation
  is slow" health check): on a shared 2-core machine under load those failed property tests
  whose properties held (a clean-clone run at load 25-30 failed one on a 1.5 s draw).  The
  example counts and the derandomised seeds are unchanged, so the checks are the same.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from hotline.sandbox.kannel import KannelRunner
from hotline.settings import load_settings
from hotline.store.db import Database
from tests import bed_warmup, db_template, log_audit, xdist_order
from tests.xdist_support import isolate_worker

isolate_worker(os.environ)

hypothesis_settings.register_profile(
    "hotline", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("hotline")

_ASTERISK_OFFSETS = pytest.StashKey[dict[str, tuple[int, int]]]()
_HANDLER = pytest.StashKey[logging.Handler]()
_WARM_UP = pytest.StashKey[bed_warmup.WarmUp]()
# Whether this session created the log folder: a pytest session started by a test (the sandbox
# mount test runs one) inherits the folder and must neither audit nor remove it.
_OWNS_LOG_DIR = pytest.StashKey[bool]()


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_OWNS_LOG_DIR] = log_audit.LOG_DIR_ENV not in os.environ
    if hasattr(config.option, "loadscopereorder"):
        # xdist would queue the units by their number of tests; the workers' collection is
        # already ordered longest first (pytest_collection_modifyitems), so keep it.
        config.option.loadscopereorder = False
    log_audit.session_log_dir()
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    config.stash[_HANDLER] = log_audit.capture_in_process_logs(worker)
    if not _is_worker(config):
        config.stash[_ASTERISK_OFFSETS] = log_audit.offsets(log_audit.asterisk_log_dir())
        if _runs_workers(config) and bed_warmup.wants_bed(
            config.args, config.rootpath, config.invocation_params.dir
        ):
            config.stash[_WARM_UP] = bed_warmup.WarmUp().start()


def _runs_workers(config: pytest.Config) -> bool:
    """The xdist controller of a session with workers (``-n N``, N > 0)."""
    workers = getattr(config.option, "numprocesses", None)
    return bool(workers) and getattr(config.option, "dist", "no") != "no"


def pytest_unconfigure(config: pytest.Config) -> None:
    warm_up = config.stash.get(_WARM_UP, None)
    if warm_up is not None:
        warm_up.join()
    handler = config.stash.get(_HANDLER, None)
    if handler is not None:
        logging.getLogger().removeHandler(handler)
        handler.close()


def _temp_dir(config: pytest.Config) -> Path | None:
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        return None
    try:
        base: Path = factory.getbasetemp()
    except OSError:
        return None
    return base


def finish(session: pytest.Session) -> list[log_audit.Finding]:
    """The audit at the end of ``session``; sets a failing exit status on a hit."""
    config = session.config
    handler = config.stash.get(_HANDLER, None)
    if handler is not None:
        handler.flush()
    findings = log_audit.audit(
        log_audit.sensitive_values(),
        asterisk_dir=log_audit.asterisk_log_dir(),
        asterisk_offsets=config.stash.get(_ASTERISK_OFFSETS, {}),
        instance_dirs=log_audit.instance_log_dirs(),
        log_dir=log_audit.session_log_dir(),
        temp_dir=_temp_dir(config),
    )
    if findings:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        lines = [str(finding) for finding in findings[:50]]
        more = len(findings) - len(lines)
        text = "\n".join([*lines, *([f"... and {more} more"] if more > 0 else [])])
        if reporter is not None:
            reporter.section("log audit: test phone/account numbers in clear", sep="=", red=True)
            reporter.write_line(text)
    return findings


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if _is_worker(session.config) or not session.config.stash.get(_OWNS_LOG_DIR, False):
        return
    finish(session)
    if session.exitstatus == pytest.ExitCode.OK:
        # Kept when anything failed: the engine's and the console's logs help find out why.
        shutil.rmtree(log_audit.session_log_dir(), ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On xdist workers (whose collection is the scheduler's queue): longest first."""
    if not _is_worker(config):
        return
    groups: list[str | None] = []
    nodeids: list[str] = []
    for item in items:
        marker = item.get_closest_marker("xdist_group")
        # As xdist names the group (and may already have appended "@<group>" to the node id).
        group = (
            None
            if marker is None
            else str(marker.args[0] if marker.args else marker.kwargs.get("name", "default"))
        )
        groups.append(group)
        nodeids.append(item.nodeid if group is None else item.nodeid.removesuffix(f"@{group}"))
    e2e = {n for n, item in zip(nodeids, items, strict=True) if item.get_closest_marker("e2e")}
    seconds = xdist_order.expected_seconds(nodeids, xdist_order.load_durations(), e2e)
    waiting = [nodeid in e2e for nodeid in nodeids]
    order = xdist_order.longest_first(items, groups, seconds, waiting)
    items[:] = [items[i] for i in order]


@pytest.fixture(autouse=True)
def _sqlite_from_template(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker(db_template.MARKER) is None:
        monkeypatch.setattr(Database, "upgrade", db_template.upgrade_from_template)


@pytest.fixture
def kannel() -> Iterator[KannelRunner]:
    """Kannel (bearerbox, smsbox) with fakesmsc as the SMSC, on this worker's ``sms.*``
    ports; read the messages fakesmsc received with ``kannel.wait_received``.  When Kannel
    cannot start the test errors (KannelError): it never skips."""
    with KannelRunner(load_settings()) as runner:
        yield runner
