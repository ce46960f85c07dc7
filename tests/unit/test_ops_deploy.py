"""`hotline deploy render` (issue 24, item 1): the units pass `systemd-analyze verify`, the
nginx site passes `nginx -t` (Debian's nginx), the layout and the hardening are as the README
says, and no secret is written into any rendered file.  Both tools are required: a missing
one fails these tests (scripts/install-system-deps.sh installs them)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from sse_starlette import EventSourceResponse

from hotline.cli.deploy_render import CONSOLE_UNIT, ENGINE_UNIT, render_deploy, write_deploy
from hotline.settings import Settings, SettingsError, load_settings
from hotline.web.app import create_app
from tests.cli_support import hermetic_store_url, run_hotline

VENV_HOTLINE = Path(sys.executable).with_name("hotline")
SECRETS = {
    "ami": {"secret": "engine-s3cret", "console_secret": "console-s3cret", "cli_secret": "c1i"},
}
DB_PASSWORD = "pg-pa55word"


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    assert found, f"{name} is missing: run scripts/install-system-deps.sh"
    return found


def _settings(tmp_path: Path, **deploy: str) -> Settings:
    return load_settings(
        overrides={
            "deploy": {"command": str(VENV_HOTLINE), **deploy},
            "store": {"url": f"postgresql+psycopg://hotline:{DB_PASSWORD}@127.0.0.1/hotline"},
            **SECRETS,
        },
        environ={},
    )


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def test_rendered_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = _tool("systemd-analyze")
    assert VENV_HOTLINE.is_file()
    write_deploy(render_deploy(_settings(tmp_path)), tmp_path)
    units = [tmp_path / "systemd" / ENGINE_UNIT, tmp_path / "systemd" / CONSOLE_UNIT]
    result = subprocess.run(
        [analyze, "verify", *map(str, units)], capture_output=True, text=True, timeout=60
    )
    # verify exits 0 on unknown keys and bad values too, and only warns: none allowed.
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


def test_units_run_as_the_hotline_user_hardened_with_secrets_from_a_file(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    files = {item.relative: item.text for item in render_deploy(settings)}
    engine, console = files[f"systemd/{ENGINE_UNIT}"], files[f"systemd/{CONSOLE_UNIT}"]
    assert f"ExecStart={VENV_HOTLINE} run\n" in engine
    assert f"ExecStart={VENV_HOTLINE} web\n" in console
    for unit in (engine, console):
        for line in (
            "User=hotline",
            "Group=hotline",
            "SupplementaryGroups=asterisk",
            "Restart=on-failure",
            "ProtectSystem=strict",
            "ProtectHome=yes",
            "PrivateTmp=yes",
            "NoNewPrivileges=yes",
            "CapabilityBoundingSet=",
            "EnvironmentFile=/etc/hotline/secrets.env",
            "Environment=HOTLINE_CONFIG=/etc/hotline/hotline.toml",
            "ReadWritePaths=/var/lib/hotline /var/cache/hotline /var/log/hotline",
            "WorkingDirectory=/var/lib/hotline",
            "WantedBy=multi-user.target",
        ):
            assert f"\n{line}\n" in unit, line
    # No secret, from any source, in anything rendered.
    for name, text in files.items():
        for secret in (*SECRETS["ami"].values(), DB_PASSWORD):
            assert secret not in text, (name, secret)


def test_folders_user_and_log_rotation(tmp_path: Path) -> None:
    files = {item.relative: item.text for item in render_deploy(_settings(tmp_path))}
    tmpfiles = files["tmpfiles.d/hotline.conf"]
    assert "d /var/lib/hotline 0750 hotline asterisk -" in tmpfiles
    assert "d /var/lib/hotline/recordings 2770 hotline asterisk -" in tmpfiles
    assert "d /var/lib/hotline/sounds 2750 hotline asterisk -" in tmpfiles
    assert "d /var/log/hotline 0750 hotline adm -" in tmpfiles
    sysusers = files["sysusers.d/hotline.conf"]
    assert 'u hotline -:hotline "hotline contact center" /var/lib/hotline' in sysusers
    assert "m hotline asterisk" in sysusers
    logrotate = files["logrotate.d/hotline"]
    assert logrotate.startswith("# Generated") and "/var/log/hotline/*.log {" in logrotate
    assert "su hotline adm" in logrotate and "rotate 30" in logrotate
    server_toml = files["hotline/hotline.toml"]
    assert 'data_dir = "/var/lib/hotline"' in server_toml
    assert 'trusted_proxies = ["127.0.0.1", "::1"]' in server_toml
    assert "enabled = false" in server_toml


def test_the_server_settings_file_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The file alone: a test worker's own HOTLINE_* variables (tests/xdist_support.py) would
    # override its paths and ports.
    for name in [n for n in os.environ if n.startswith("HOTLINE_")]:
        monkeypatch.delenv(name)
    write_deploy(render_deploy(_settings(tmp_path)), tmp_path)
    loaded = load_settings(tmp_path / "hotline" / "hotline.toml", environ={})
    assert loaded.paths.recordings_dir == Path("/var/lib/hotline/recordings")
    assert loaded.web.trusted_proxies == ["127.0.0.1", "::1"]
    assert loaded.web.allowed_hosts == ["hotline.example.ru"]
    assert loaded.sandbox.enabled is False and loaded.web.https_only


def test_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    nginx = _tool("nginx")
    openssl = _tool("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=hotline.test", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    settings = _settings(
        tmp_path,
        server_name="hotline.test",
        tls_certificate=str(cert),
        tls_certificate_key=str(key),
        nginx_log_dir=str(tmp_path),
    )
    write_deploy(render_deploy(settings), tmp_path / "out")
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    include {tmp_path}/out/nginx/hotline.conf;\n}}\n",
        encoding="utf-8",
    )
    # -t only: parse, open the certificate and the logs, bind nothing.
    result = subprocess.run(
        [
            nginx,
            "-t",
            "-q",
            "-e",
            str(tmp_path / "error.log"),
            "-p",
            f"{tmp_path}/",
            "-c",
            str(main),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_the_nginx_site_streams_every_live_endpoint_unbuffered(tmp_path: Path) -> None:
    """Every route answering with server-sent events falls in the site's unbuffered
    location, so no stream of the console stalls in nginx's buffer."""
    site = {i.relative: i.text for i in render_deploy(_settings(tmp_path))}["nginx/hotline.conf"]
    found = re.search(r"location ~ (\S+) \{([^}]*)\}", site)
    assert found, site
    pattern, body = re.compile(found.group(1)), found.group(2)
    assert "proxy_buffering off;" in body and "proxy_read_timeout 1h;" in body
    settings = load_settings(
        overrides={"store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"}}, environ={}
    )
    streams = [
        route.path
        for route in _routes(create_app(settings).routes)
        if (endpoint := getattr(route, "endpoint", None)) is not None
        and typing.get_type_hints(endpoint).get("return") is EventSourceResponse
    ]
    assert len(streams) >= 3
    for path in streams:
        assert pattern.search(path.replace("{name}", "spring-debt")), path
    for header in ("X-Forwarded-For $remote_addr", "X-Forwarded-Proto $scheme", "Host $host"):
        assert f"proxy_set_header {header};" in site


def _routes(routes: list[typing.Any]) -> Iterator[typing.Any]:
    """Every route, also those of included routers (FastAPI keeps them apart)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
        else:
            yield route


def test_deploy_paths_must_be_absolute_and_plain() -> None:
    for value in ("var/lib/hotline", "/var/lib/hot line", "/var/lib/%i", "/x;y"):
        with pytest.raises(SettingsError, match=r"deploy\.state_dir"):
            load_settings(overrides={"deploy": {"state_dir": value}}, environ={})
    with pytest.raises(SettingsError, match=r"deploy\.server_name"):
        load_settings(overrides={"deploy": {"server_name": "a.ru; evil"}}, environ={})


def test_deploy_render_command_writes_the_asterisk_files_for_the_server_layout(
    store_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, _, err = run_hotline(store_url, "deploy", "render", str(out))
    assert code != 0 and "no AMI secret for the engine" in err
    secrets = tuple(f"ami.{key}={value}" for key, value in SECRETS["ami"].items())
    code, stdout, err = run_hotline(
        store_url, "deploy", "render", str(out), settings=(*secrets, "sandbox.enabled=true")
    )
    assert code == 0, err
    assert f"{out}/systemd/{ENGINE_UNIT} -> /etc/systemd/system/" in stdout
    extensions = (out / "asterisk" / "extensions.conf").read_text(encoding="utf-8")
    assert "/var/lib/hotline/recordings" in extensions
    assert "/var/lib/hotline/sounds/" in extensions
    assert "hotline-sim-carrier" not in extensions
    assert (out / "asterisk" / "manager.conf").stat().st_mode & 0o777 == 0o600
    assert (out / "bin" / "hotline").stat().st_mode & 0o777 == 0o755


def _ids(root: Path, table: str) -> dict[str, int]:
    rows = (root / "etc" / table).read_text(encoding="utf-8").splitlines()
    return {row.split(":")[0]: int(row.split(":")[2]) for row in rows if row}


def test_sysusers_and_tmpfiles_make_the_user_and_folders(tmp_path: Path) -> None:
    """systemd-sysusers and systemd-tmpfiles themselves apply the rendered entries to an
    empty root: the user, its membership of Asterisk's group, the folders and their modes."""
    sysusers, tmpfiles = _tool("systemd-sysusers"), _tool("systemd-tmpfiles")
    out, root = tmp_path / "out", tmp_path / "root"
    write_deploy(render_deploy(_settings(tmp_path)), out)
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "group").write_text("adm:x:4:\n", encoding="utf-8")
    for tool, entry in ((sysusers, "sysusers.d"), (tmpfiles, "tmpfiles.d")):
        args = [tool, f"--root={root}", *(["--create"] if entry == "tmpfiles.d" else [])]
        result = subprocess.run(
            [*args, str(out / entry / "hotline.conf")], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert "ignoring" not in result.stderr.lower(), result.stderr
    users, groups = _ids(root, "passwd"), _ids(root, "group")
    assert "hotline:x:" in (root / "etc" / "passwd").read_text(encoding="utf-8")
    assert any(
        row.startswith("asterisk:") and row.endswith(":hotline")
        for row in (root / "etc" / "group").read_text(encoding="utf-8").splitlines()
    )
    expected = {
        "var/lib/hotline": (0o750, "hotline", "asterisk"),
        "var/lib/hotline/recordings": (0o2770, "hotline", "asterisk"),
        "var/lib/hotline/sounds": (0o2750, "hotline", "asterisk"),
        "var/cache/hotline": (0o750, "hotline", "hotline"),
        "var/log/hotline": (0o750, "hotline", "adm"),
        "etc/hotline": (0o750, None, "hotline"),
    }
    for folder, (mode, user, group) in expected.items():
        info = (root / folder).stat()
        assert info.st_mode & 0o7777 == mode, folder
        assert user is None or info.st_uid == users[user], folder
        assert info.st_gid == groups[group], folder
