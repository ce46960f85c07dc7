"""Where hotline lives on a Debian server (`hotline deploy render DIR`; issue 24).

No seed requirement sets these: the defaults are Debian's layout (FHS: state in
/var/lib, logs in /var/log, cache in /var/cache, configuration in /etc) for a dedicated
``hotline`` system user next to an Asterisk running as ``asterisk``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from hotline.settings.base import SECTION_CONFIG

# A system user or group name as useradd and systemd accept it.
_NAME = r"^[a-z_][a-z0-9_-]{0,31}$"
# A host name nginx can serve (no spaces, semicolons or braces reach the site file).
_SERVER_NAME = r"^[A-Za-z0-9*][A-Za-z0-9.*-]{0,252}$"


class DeploySettings(BaseModel):
    model_config = SECTION_CONFIG

    # The system user and group both services run as (created by sysusers.d).
    user: str = Field(default="hotline", pattern=_NAME)
    group: str = Field(default="hotline", pattern=_NAME)
    # Asterisk's group: it writes the recordings and reads the built prompts, so both
    # folders belong to this group (setgid) and the services are members of it.
    asterisk_group: str = Field(default="asterisk", pattern=_NAME)
    # The installed command (a virtualenv's bin/hotline) the units start.
    command: Path = Path("/opt/hotline/venv/bin/hotline")
    # The catalogue, menus and Asterisk templates the installation uses (prompts/,
    # menus/, asterisk_conf/ of the release, copied by scripts/install-server.sh).
    share_dir: Path = Path("/opt/hotline/share")
    # The settings file the services read (HOTLINE_CONFIG) and the secrets they get as
    # environment variables (EnvironmentFile: AMI secrets, the database URL); no secret is
    # ever written into a unit.
    config_file: Path = Path("/etc/hotline/hotline.toml")
    environment_file: Path = Path("/etc/hotline/secrets.env")
    # The store (SQLite), built prompts, uploads; the services' working directory.
    state_dir: Path = Path("/var/lib/hotline")
    # Call recordings, shared with Asterisk's group (2770).
    recordings_dir: Path = Path("/var/lib/hotline/recordings")
    # Rendered prompt audio Asterisk plays (2750, Asterisk's group reads it).
    sounds_dir: Path = Path("/var/lib/hotline/sounds")
    # The synthesis cache (safe to delete).
    cache_dir: Path = Path("/var/cache/hotline")
    # The engine's and the console's log files (rotated by logrotate; journald gets them too).
    log_dir: Path = Path("/var/log/hotline")
    # How long logrotate keeps rotated logs, in days.
    log_keep_days: int = Field(default=30, ge=1, le=3650)
    # The console's public name (nginx server_name, the console's allowed Host) and its
    # TLS certificate and key (e.g. from certbot, or the site's own CA).
    server_name: str = Field(default="hotline.example.ru", pattern=_SERVER_NAME)
    tls_certificate: Path = Path("/etc/ssl/certs/hotline.pem")
    tls_certificate_key: Path = Path("/etc/ssl/private/hotline.key")
    # nginx's log folder for the console's access and error logs.
    nginx_log_dir: Path = Path("/var/log/nginx")
    # Where Asterisk reads the rendered configuration (`hotline asterisk render`).
    asterisk_config_dir: Path = Path("/etc/asterisk")

    @field_validator(
        "command",
        "share_dir",
        "config_file",
        "environment_file",
        "state_dir",
        "recordings_dir",
        "sounds_dir",
        "cache_dir",
        "log_dir",
        "tls_certificate",
        "tls_certificate_key",
        "asterisk_config_dir",
        "nginx_log_dir",
    )
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        text = str(value)
        if not value.is_absolute():
            raise ValueError(f"must be an absolute path, got {text!r}")
        if any(ch.isspace() or ch in ";{}\"'\\$%" for ch in text):
            raise ValueError(f"must not contain spaces, quotes or ; {{ }} $ %: {text!r}")
        return value
