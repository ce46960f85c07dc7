"""SMS through Kannel (R-091, R-092): the gateway's ports and passwords, the length rules for
texts and the durable outbox's retry policy."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, model_validator

from hotline.settings.base import SECTION_CONFIG


class SmsSettings(BaseModel):
    """The engine posts every SMS to Kannel's ``sendsms`` HTTP interface (smsbox) and
    receives its delivery reports on a small listener of its own.  Passwords have no
    default: outside the sandbox they must be given (``HOTLINE_SMS__SENDSMS_PASSWORD``,
    ``HOTLINE_SMS__ADMIN_PASSWORD``); the sandbox generates its own, kept beside the AMI
    secret.  Ports default outside Kannel's own (13000/13001/13013), so a system Kannel that
    Debian's package starts does not collide with the sandbox's."""

    model_config = SECTION_CONFIG

    # The engine sends queued messages and receives delivery reports only when on.
    enabled: bool = False
    # Kannel (bearerbox and smsbox) on this host; loopback in the sandbox.
    kannel_host: str = "127.0.0.1"
    # smsbox's sendsms HTTP interface.
    sendsms_port: int = Field(default=13113, gt=0, lt=65536)
    # bearerbox's HTTP administration interface.
    admin_port: int = Field(default=13100, gt=0, lt=65536)
    # bearerbox's port for smsbox.
    box_port: int = Field(default=13101, gt=0, lt=65536)
    # The sandbox's test SMSC: bearerbox listens here for Kannel's fakesmsc.
    fake_smsc_port: int = Field(default=13110, gt=0, lt=65536)
    sendsms_user: str = "hotline"
    sendsms_password: SecretStr | None = None
    admin_password: SecretStr | None = None
    # The sender shown on the phone (an alphanumeric name registered with the SMSC).
    sender: str = "HOTLINE"
    # The engine's delivery-report listener; Kannel calls it back (dlr-url) on this address.
    dlr_host: str = "127.0.0.1"
    dlr_port: int = Field(default=13180, gt=0, lt=65536)
    # "текстовые сообщения объемом не более 160 знаков" [000, 002].  Cyrillic goes
    # in UCS-2 (70 characters alone, 67 per part of a long message), so 160 characters of
    # Cyrillic take 3 parts; a text longer than either limit is refused.
    max_chars: int = Field(default=160, gt=0)
    max_parts: int = Field(default=3, gt=0, le=255)
    # One sendsms request: connect, send, read the answer.
    request_timeout: float = Field(default=10.0, gt=0)
    # The outbox: a message Kannel did not accept is tried again after ``retry_min_delay``
    # seconds, doubling up to ``retry_max_delay``, until ``give_up_after`` hours after it
    # was queued; then it is failed.
    retry_min_delay: float = Field(default=5.0, gt=0)
    retry_max_delay: float = Field(default=600.0, gt=0)
    give_up_after: float = Field(default=24.0, gt=0)
    # How often the outbox looks for due messages (it is also woken when one is queued).
    poll_interval: float = Field(default=2.0, gt=0)
    batch: int = Field(default=20, gt=0)
    # The sandbox's Kannel: longest wait for bearerbox, smsbox and fakesmsc to come up or stop.
    start_timeout: float = Field(default=15.0, gt=0)
    stop_timeout: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _distinct_ports(self) -> SmsSettings:
        ports = [
            self.sendsms_port,
            self.admin_port,
            self.box_port,
            self.fake_smsc_port,
            self.dlr_port,
        ]
        if len(set(ports)) != len(ports):
            raise ValueError("sms: sendsms, admin, box, fake SMSC and DLR ports must differ")
        if self.retry_max_delay < self.retry_min_delay:
            raise ValueError("sms: retry_max_delay is shorter than retry_min_delay")
        return self
