"""``hotline sms send/list/show`` and ``hotline kannel render`` through the real command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_support import hermetic_store_url, run_hotline


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def test_send_queues_list_masks_and_show_gives_the_history(url: str) -> None:
    code, out, err = run_hotline(url, "sms", "send", "8 913 123-45-67", "Ваш платёж получен")
    assert code == 0, err
    assert out.strip() == "sms 1 queued"
    code, out, err = run_hotline(url, "sms", "list", "--json")
    assert code == 0, err
    (listed,) = json.loads(out)
    assert listed["phone"] == "+791******67"
    assert (listed["status"], listed["encoding"], listed["parts"]) == ("queued", "ucs2", 1)
    assert "token" not in listed
    code, out, err = run_hotline(url, "sms", "list", "--json", "--full")
    assert json.loads(out)[0]["phone"] == "+79131234567"
    code, out, err = run_hotline(url, "sms", "show", "1", "--json")
    assert code == 0, err
    assert [e["kind"] for e in json.loads(out)["events"]] == ["queued"]
    code, out, err = run_hotline(url, "sms", "show", "2")
    assert code == 1 and "no message 2" in err


def test_send_refuses_a_text_over_the_limit_naming_its_length(url: str) -> None:
    code, _out, err = run_hotline(
        url, "sms", "send", "+79131234567", "Я" * 71, settings=("sms.max_parts=1",)
    )
    assert code == 1
    assert "71 characters, 2 part(s) of UCS-2" in err
    code, _out, err = run_hotline(url, "sms", "send", "+79131234567", "Я" * 161)
    assert code == 1 and "161 characters" in err and "at most 160" in err
    code, out, _err = run_hotline(url, "sms", "list", "--json")
    assert json.loads(out) == []


def test_kannel_render_is_loopback_only_with_the_passwords_from_settings(
    url: str, tmp_path: Path
) -> None:
    out_dir = tmp_path / "kannel"
    code, _out, err = run_hotline(url, "kannel", "render", str(out_dir))
    assert code == 2 and "no Kannel admin password" in err
    secret = tmp_path / "sendsms-secret"
    secret.write_text("s3ndsms\n", encoding="utf-8")
    code, _out, err = run_hotline(
        url,
        "kannel",
        "render",
        str(out_dir),
        "--sendsms-password-file",
        str(secret),
        settings=("sms.admin_password=adm1n",),
    )
    assert code == 0, err
    config = (out_dir / "kannel.conf").read_text(encoding="utf-8")
    assert 'admin-password = "adm1n"' in config
    assert 'password = "s3ndsms"' in config
    for interface in ("admin-interface", "smsbox-interface", "sendsms-interface"):
        assert f"{interface} = 127.0.0.1" in config
    assert "smsc = fake" not in config
    assert f'include = "{out_dir.resolve() / "smsc.conf"}"' in config
    assert "smsc = smpp" in (out_dir / "smsc.conf.example").read_text(encoding="utf-8")
    code, _out, err = run_hotline(
        url,
        "kannel",
        "render",
        str(out_dir),
        "--sendsms-password-file",
        str(secret),
        settings=('sms.admin_password=a"b',),
    )
    assert code == 2 and "quotes" in err
