"""Who drives each cluster node's AMI (issue 20 item 2/3; no seed requirement: the seeds
describe one installation, these values matter only when it is spread over several
machines).  One worker owns a node at a time through a lease row in PostgreSQL; SQLite holds
one worker and needs none."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from hotline.settings.base import SECTION_CONFIG


class NodeLeaseSettings(BaseModel):
    model_config = SECTION_CONFIG

    # A lease lasts this long unless its owner renews it; a killed owner's node is taken
    # over within ttl_seconds + takeover_grace_seconds + renew_seconds.
    ttl_seconds: float = Field(default=15.0, gt=0)
    # How often the owner renews (and a worker looks for nodes without an owner).
    renew_seconds: float = Field(default=3.0, gt=0)
    # The owner stops acting on a node this long before its lease could expire (a renew
    # still in flight, a paused process): it gives up before anyone else may take it.
    margin_seconds: float = Field(default=2.0, ge=0)
    # Workers take over the nodes of dead owners; a standby waits this much longer after a
    # lease expired than the node's configured owner (workers.node), so the owner is preferred,
    # and hands the node back as soon as its configured owner is alive again.
    takeover: bool = True
    takeover_grace_seconds: float = Field(default=3.0, ge=0)

    @model_validator(mode="after")
    def _renewed_in_time(self) -> NodeLeaseSettings:
        if self.renew_seconds + self.margin_seconds >= self.ttl_seconds:
            raise ValueError("leases: renew_seconds + margin_seconds must be below ttl_seconds")
        return self
