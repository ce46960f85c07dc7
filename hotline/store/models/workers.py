"""Several engine workers on one PostgreSQL database (issue 20): who runs, and the dialer's
shared pacing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import Base
from hotline.store.types import UtcDateTime


class EngineWorker(Base):
    """A running ``hotline run``: written at start, its ``seen_at`` renewed every heartbeat.
    A worker whose heartbeat lapsed is dead: its dialer attempts are adopted by another."""

    __tablename__ = "engine_workers"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    # The cluster node whose AMI the worker drives ("" = the engine's own Asterisk).
    node: Mapped[str] = mapped_column(String(32), default="", server_default="")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Its AMI connection was up at the last heartbeat (the wallboard's "node down").
    ami_up: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class DialerPacing(Base):
    """A pacing slot shared by every worker: the earliest moment (seconds since the epoch,
    the database server's clock) at which the next Originate under this cap may go.  One row
    per cap ("calls_per_second"); taken with one atomic UPDATE, so two workers never take the
    same slot."""

    __tablename__ = "dialer_pacing"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float, default=0.0)


class NodeLease(Base):
    """Who drives a cluster node's AMI (issue 20): one worker at a time.  ``expires_at`` is
    on the database server's clock (seconds since the epoch), renewed by the owner's heartbeat;
    ``epoch`` grows at every change of owner, and every write that depends on owning the node
    checks it (fencing: a worker whose lease lapsed writes nothing more for that node)."""

    __tablename__ = "node_leases"

    node: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    epoch: Mapped[int] = mapped_column(Integer, default=1)
    expires_at: Mapped[float] = mapped_column(Float)
    # When the current owner took the node (the database server's clock, seconds).
    acquired_at: Mapped[float] = mapped_column(Float)
    # The owner's AMI connection to the node was up at its last renew (the wallboard's
    # "node down" when a worker drives a node it took over).
    ami_up: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
