"""How the engine rides out faults in what it stands on (issue 21): a database that is busy,
and a recordings disk that fills up."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG


class ResilienceSettings(BaseModel):
    model_config = SECTION_CONFIG

    # R-065 (readings 24/7, confirmed only once stored): how long a SQLite write waits for a
    # lock another connection holds (the console writing its session rows, an import) before
    # it fails with "database is locked".  The caller is then told nothing was accepted and
    # is sent to an operator.  SQLite's busy handler retries within this bound.
    sqlite_busy_seconds: float = Field(default=5.0, gt=0, le=60)
    # R-062 (every call recorded): below this much free space in paths.recordings_dir a call
    # is not recorded (MixMonitor would write an empty or cut file): logged as an error and
    # shown on the wallboard; the call itself proceeds.
    recordings_min_free_mb: int = Field(default=200, ge=0)
    # R-033 (every call registered, with its disposition): every this many seconds the call
    # tracker closes inbound call rows whose channel Asterisk no longer has (the hang-up came
    # while the database was down, or while no engine ran); also done on every AMI log-in.
    call_log_reconcile_seconds: float = Field(default=60.0, gt=0)
    # R-062 (every call recorded, and found again): every this many seconds the engine indexes
    # recordings in the recent day folders that have no index row (MixMonitor started by the
    # dialplan while the engine, its AMI link or its database was away); also at start.
    # 0: never (a recordings folder shared with another installation's, as the test
    # sandboxes' are: the engine would index the other's files as its own).
    recordings_index_seconds: float = Field(default=60.0, ge=0)
