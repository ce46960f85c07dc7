"""One typed settings object for the whole engine.

Precedence, lowest to highest: defaults < ``hotline.toml`` < environment (``HOTLINE_...``,
nested with ``__``) < command-line overrides (``--set section.key=value``).  Unknown keys are
errors that name the key, wherever they come from.  The AMI secret has no default: outside the
sandbox it must be given; the sandbox generates its own and the engine reads it from there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from hotline.settings.appeals import AppealSettings, Deadline, Topic
from hotline.settings.callbacks import CallbackSettings
from hotline.settings.cluster import ClusterSettings
from hotline.settings.coverage import CoverageSettings
from hotline.settings.deploy import DeploySettings
from hotline.settings.desk import MonitorSettings, QualitySettings, TransferSettings
from hotline.settings.doctor import DoctorSettings
from hotline.settings.engine import EngineSettings, LoopKind
from hotline.settings.held_writes import HeldWritesSettings
from hotline.settings.knowledge import KnowledgeSettings
from hotline.settings.leases import NodeLeaseSettings
from hotline.settings.logs import LogSettings
from hotline.settings.metrics import MetricsSettings
from hotline.settings.notify import NotifySettings
from hotline.settings.operator_desk import DeskSettings, DispositionResult
from hotline.settings.progressive import ProgressiveSettings
from hotline.settings.rating import RatingSettings
from hotline.settings.resilience import ResilienceSettings
from hotline.settings.rollups import RollupSettings
from hotline.settings.schedules import ScheduleSettings
from hotline.settings.sections import (
    AccountSettings,
    AmiRole,
    AmiSettings,
    DialerSettings,
    FastAgiSettings,
    GreetingSettings,
    HoursSettings,
    IvrSettings,
    OutageSettings,
    PathSettings,
    QueueSettings,
    ReadingSettings,
    RecordingSettings,
    SandboxSettings,
    SimOperatorSettings,
    SimulateSettings,
    SpeechSettings,
    StoreSettings,
    TrunkSettings,
    WebSettings,
    WordingSettings,
    window_days,
)
from hotline.settings.sms import SmsSettings
from hotline.settings.survey import SurveySettings
from hotline.settings.webhooks import WebhookEndpoint, WebhookSettings
from hotline.settings.workers import WorkerSettings

__all__ = [
    "AccountSettings",
    "AmiRole",
    "AmiSettings",
    "AppealSettings",
    "CallbackSettings",
    "ClusterSettings",
    "CoverageSettings",
    "Deadline",
    "DeploySettings",
    "DeskSettings",
    "DialerSettings",
    "DispositionResult",
    "DoctorSettings",
    "EngineSettings",
    "FastAgiSettings",
    "GreetingSettings",
    "HeldWritesSettings",
    "HoursSettings",
    "IvrSettings",
    "KnowledgeSettings",
    "LogSettings",
    "LoopKind",
    "MetricsSettings",
    "MonitorSettings",
    "NodeLeaseSettings",
    "NotifySettings",
    "OutageSettings",
    "PathSettings",
    "ProgressiveSettings",
    "QualitySettings",
    "QueueSettings",
    "RatingSettings",
    "ReadingSettings",
    "RecordingSettings",
    "ResilienceSettings",
    "RollupSettings",
    "SandboxSettings",
    "ScheduleSettings",
    "Settings",
    "SettingsError",
    "SimOperatorSettings",
    "SimulateSettings",
    "SmsSettings",
    "SpeechSettings",
    "StoreSettings",
    "SurveySettings",
    "Topic",
    "TransferSettings",
    "TrunkSettings",
    "WebSettings",
    "WebhookEndpoint",
    "WebhookSettings",
    "WordingSettings",
    "WorkerSettings",
    "config_file_path",
    "load_settings",
    "parse_overrides",
    "window_days",
]

ENV_PREFIX = "HOTLINE_"
ENV_NESTED = "__"
CONFIG_ENV = "HOTLINE_CONFIG"
DEFAULT_CONFIG_FILE = Path("hotline.toml")


class SettingsError(ValueError):
    """Settings could not be loaded; the message names the offending key."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED,
        extra="forbid",
        frozen=True,
    )

    ami: AmiSettings = Field(default_factory=AmiSettings)
    fastagi: FastAgiSettings = Field(default_factory=FastAgiSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    paths: PathSettings = Field(default_factory=PathSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    ivr: IvrSettings = Field(default_factory=IvrSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    outages: OutageSettings = Field(default_factory=OutageSettings)
    greeting: GreetingSettings = Field(default_factory=GreetingSettings)
    hours: HoursSettings = Field(default_factory=HoursSettings)
    simulate: SimulateSettings = Field(default_factory=SimulateSettings)
    sim_operator: SimOperatorSettings = Field(default_factory=SimOperatorSettings)
    recording: RecordingSettings = Field(default_factory=RecordingSettings)
    speech: SpeechSettings = Field(default_factory=SpeechSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    dialer: DialerSettings = Field(default_factory=DialerSettings)
    accounts: AccountSettings = Field(default_factory=AccountSettings)
    readings: ReadingSettings = Field(default_factory=ReadingSettings)
    wording: WordingSettings = Field(default_factory=WordingSettings)
    doctor: DoctorSettings = Field(default_factory=DoctorSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    # The appeal register (issue 16; hotline/settings/appeals.py).
    appeals: AppealSettings = Field(default_factory=AppealSettings)
    # Database and disk faults (issue 21; hotline/settings/resilience.py).
    resilience: ResilienceSettings = Field(default_factory=ResilienceSettings)
    # Writes held through a store outage and their retries (issue 21; settings/held_writes.py).
    held_writes: HeldWritesSettings = Field(default_factory=HeldWritesSettings)
    deploy: DeploySettings = Field(default_factory=DeploySettings)
    # The rating after an operator call (issue 16 item 5; hotline/settings/rating.py).
    rating: RatingSettings = Field(default_factory=RatingSettings)
    # Callbacks at an agreed time (issue 16 item 3, R-109/R-110; hotline/settings/callbacks.py).
    callbacks: CallbackSettings = Field(default_factory=CallbackSettings)
    # The knowledge base and call scripts (issue 17 item 6; hotline/settings/knowledge.py).
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    # Transfers by operators (issue 17 item 4, R-030/R-041; hotline/settings/desk.py).
    transfer: TransferSettings = Field(default_factory=TransferSettings)
    # Supervisor monitoring and long-call warnings (issue 17 item 7, R-039; settings/desk.py).
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)
    # Voice quality per call (issue 17 item 8, R-135; hotline/settings/desk.py).
    quality: QualitySettings = Field(default_factory=QualitySettings)
    # Several engine workers on PostgreSQL (issue 20; hotline/settings/workers.py).
    workers: WorkerSettings = Field(default_factory=WorkerSettings)
    # LISTEN/NOTIFY wake-ups on PostgreSQL (issue 20; hotline/settings/notify.py).
    notify: NotifySettings = Field(default_factory=NotifySettings)
    # Which worker drives each cluster node's AMI (issue 20; hotline/settings/leases.py).
    leases: NodeLeaseSettings = Field(default_factory=NodeLeaseSettings)
    # The reports' roll-up jobs, IVR and queue (issue 19; hotline/settings/rollups.py).
    rollups: RollupSettings = Field(default_factory=RollupSettings)
    # The operator's desk: card, dispositions, wrap-up (issue 17; hotline/settings/desk.py).
    desk: DeskSettings = Field(default_factory=DeskSettings)
    # Webhooks to billing and CRM (issue 22 item 4, R-148; hotline/settings/webhooks.py).
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    # Survey coverage of the target group (issue 22, R-105; hotline/settings/coverage.py).
    coverage: CoverageSettings = Field(default_factory=CoverageSettings)
    # The engine process's event loop (issue 19 item 6; hotline/settings/engine.py).
    engine: EngineSettings = Field(default_factory=EngineSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _CONFIG_FILE.get("path")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    # Derived values, so callers never re-derive them differently.
    @property
    def sandbox_dir(self) -> Path:
        return self.sandbox.cache_dir.expanduser() / "sandbox"

    @property
    def database_url(self) -> str:
        if self.store.url:
            return self.store.url
        return f"sqlite+aiosqlite:///{(self.paths.data_dir / 'hotline.db').resolve()}"


# pydantic-settings builds sources from the class; the chosen file is passed through here
# for the duration of one load() call only.
_CONFIG_FILE: dict[str, Path | None] = {"path": None}


def _known_env_keys() -> set[str]:
    keys = set()
    for section, field in Settings.model_fields.items():
        annotation = field.annotation
        keys.add(f"{ENV_PREFIX}{section}".upper())
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for sub in annotation.model_fields:
                keys.add(f"{ENV_PREFIX}{section}{ENV_NESTED}{sub}".upper())
    keys.add(CONFIG_ENV)
    return keys


def _check_env(environ: Mapping[str, str]) -> None:
    known = _known_env_keys()
    for key in environ:
        if key.upper().startswith(ENV_PREFIX) and key.upper() not in known:
            raise SettingsError(f"unknown setting in the environment: {key}")


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """Turn ``["ami.port=5039", "log.level=DEBUG"]`` into nested init kwargs."""
    nested: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SettingsError(f"expected section.key=value, got {pair!r}")
        parts = key.strip().split(".")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise SettingsError(f"setting {key} conflicts with another override")
        node[parts[-1]] = value
    return nested


def config_file_path(explicit: Path | None = None) -> Path | None:
    if explicit is not None:
        return explicit
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.exists() else None


def load_settings(
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Load settings from all layers; raises SettingsError naming the offending key."""
    _check_env(os.environ if environ is None else environ)
    path = config_file_path(config_file)
    if path is not None and not path.is_file():
        raise SettingsError(f"settings file not found: {path}")
    _CONFIG_FILE["path"] = path
    try:
        return Settings(**dict(overrides or {}))
    except ValidationError as exc:
        raise SettingsError(_describe(exc, path)) from exc
    finally:
        _CONFIG_FILE["path"] = None


def _describe(exc: ValidationError, path: Path | None) -> str:
    lines = []
    for error in exc.errors():
        key = ".".join(str(p) for p in error["loc"])
        if error["type"] == "extra_forbidden":
            where = f" (in {path})" if path else ""
            lines.append(f"unknown setting {key}{where}")
        else:
            lines.append(f"invalid setting {key}: {error['msg']}")
    return "; ".join(lines)
