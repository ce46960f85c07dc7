"""The doctor's checks over probed facts: each broken fact gives an error (or a warning) with
the fix an administrator needs; healthy facts give ok."""

from __future__ import annotations

from pathlib import Path

from hotline.doctor.checks import (
    ENGINE_ACTIONS,
    AmiFacts,
    CalendarFacts,
    ClockFacts,
    DatabaseFacts,
    DirFacts,
    GiB,
    Identity,
    ListenFacts,
    Login,
    PromptFacts,
    Status,
    as_json,
    check_ami_logins,
    check_ami_rights,
    check_asterisk,
    check_calendar,
    check_clock,
    check_console,
    check_database,
    check_dialplan,
    check_disk,
    check_fastagi,
    check_prompts,
    check_recordings_dir,
    has_errors,
)

ENGINE_OK = {"engine": Login("hotline", True)}
ASTERISK = Identity("test", uid=101, gid=101)
DIR = 0o040000  # S_IFDIR


def test_asterisk_unreachable_says_how_to_start_it() -> None:
    finding = check_asterisk(AmiFacts("127.0.0.1", 5038, unreachable="connection refused"))
    assert finding.status is Status.ERROR
    assert "127.0.0.1:5038" in finding.message and "connection refused" in finding.message
    assert "start Asterisk" in finding.fix
    assert check_asterisk(AmiFacts("h", 1, banner="Asterisk Call Manager/11")).status is Status.OK


def test_a_refused_login_points_at_the_secret_and_manager_conf() -> None:
    facts = AmiFacts(
        "h",
        1,
        logins={"engine": Login("hotline", False, "Authentication failed"), **{}},
        no_secret={"console": "no AMI secret for the console: set HOTLINE_AMI__CONSOLE_SECRET"},
    )
    findings = {f.check: f for f in check_ami_logins(facts)}
    engine = findings["ami login (engine)"]
    assert engine.status is Status.ERROR and "Authentication failed" in engine.message
    assert "secret" in engine.fix and "[hotline]" in engine.fix and "manager reload" in engine.fix
    console = findings["ami login (console)"]
    assert console.status is Status.ERROR and "HOTLINE_AMI__CONSOLE_SECRET" in console.fix
    # Unreachable: the log-ins are not reported a second time.
    assert check_ami_logins(AmiFacts("h", 1, unreachable="x")) == []


def test_missing_rights_name_the_classes_to_add() -> None:
    finding = check_ami_rights(AmiFacts("h", 1, logins=ENGINE_OK, denied=("Originate", "Getvar")))
    assert finding is not None and finding.status is Status.ERROR
    assert "Originate, Getvar" in finding.message
    assert "add originate,reporting to write= of [hotline]" in finding.fix
    healthy = check_ami_rights(AmiFacts("h", 1, logins=ENGINE_OK))
    assert healthy is not None and healthy.status is Status.OK
    assert check_ami_rights(AmiFacts("h", 1, logins={"engine": Login("x", False)})) is None


def test_levels_in_dialplan_need_the_config_class() -> None:
    asked = (*ENGINE_ACTIONS, "Reload")
    finding = check_ami_rights(AmiFacts("h", 1, logins=ENGINE_OK, denied=("Reload",), asked=asked))
    assert finding is not None and finding.status is Status.ERROR
    assert "Reload" in finding.message and "add config to write= of [hotline]" in finding.fix
    healthy = check_ami_rights(AmiFacts("h", 1, logins=ENGINE_OK, asked=asked))
    assert healthy is not None and healthy.message.endswith("ShowDialPlan, Reload")


def test_missing_contexts_are_named() -> None:
    contexts = {"hotline-inbound": True, "hotline-dialer": False}
    finding = check_dialplan(AmiFacts("h", 1, logins=ENGINE_OK, contexts=contexts))
    assert finding is not None and finding.status is Status.ERROR
    assert "hotline-dialer" in finding.message and "hotline-inbound" not in finding.message
    assert "hotline asterisk render" in finding.fix and "dialplan reload" in finding.fix


def test_fastagi_closed_says_start_the_engine() -> None:
    finding = check_fastagi("127.0.0.1", 4573, "connection refused")
    assert finding.status is Status.ERROR and "127.0.0.1:4573" in finding.message
    assert "hotline run" in finding.fix
    assert check_fastagi("127.0.0.1", 4573, "").status is Status.OK


def test_prompts_not_built_or_stale_say_build_them() -> None:
    finding = check_prompts(PromptFacts("anna", Path("/s/rhvoice-anna"), 290, 290, 0))
    assert finding.status is Status.ERROR and "290 of 290" in finding.message
    assert "hotline prompts build" in finding.fix
    assert check_prompts(PromptFacts("anna", Path("/s"), 290, 0, 3)).status is Status.ERROR
    assert check_prompts(PromptFacts("anna", Path("/s"), 290, 0, 0)).status is Status.OK


def test_database_behind_newer_missing_or_unreachable() -> None:
    behind = check_database(DatabaseFacts("db", current="0013_amd_machine", head="0014_x"))
    assert behind.status is Status.ERROR and "behind head 0014_x" in behind.message
    assert behind.fix == "run `hotline db upgrade`"
    newer = check_database(DatabaseFacts("db", current="0099_future", head="0014_x", known=False))
    assert newer.status is Status.ERROR and "newer" in newer.message
    assert "hotline restore" in newer.fix
    missing = check_database(DatabaseFacts("sqlite:///x.db", no_file=True))
    assert missing.status is Status.ERROR and "hotline db upgrade" in missing.fix
    down = check_database(DatabaseFacts("pg", error="connection refused"))
    assert down.status is Status.ERROR and "store.url" in down.fix
    head = check_database(DatabaseFacts("db", current="0014_x", head="0014_x"))
    assert head.status is Status.OK


def test_recordings_folder_writable_by_asterisk_and_closed_to_others() -> None:
    path = Path("/var/spool/hotline")
    shared = DirFacts(path, True, True, DIR | 0o2770, uid=0, gid=101)
    assert [f.status for f in check_recordings_dir(shared, ASTERISK)] == [Status.OK]
    # Asterisk's supplementary group counts too.
    other_group = DirFacts(path, True, True, DIR | 0o2770, uid=0, gid=200)
    member = Identity("test", 101, 101, frozenset({200}))
    assert [f.status for f in check_recordings_dir(other_group, member)] == [Status.OK]

    private = DirFacts(path, True, True, DIR | 0o700, uid=0, gid=0)
    (finding,) = check_recordings_dir(private, ASTERISK)
    assert finding.status is Status.ERROR and "cannot write" in finding.message
    assert finding.fix == f"chgrp 101 {path} && chmod 2770 {path}"

    open_to_all = DirFacts(path, True, True, DIR | 0o777, uid=0, gid=0)
    (finding,) = check_recordings_dir(open_to_all, ASTERISK)
    assert finding.status is Status.ERROR and "world-writable" in finding.message
    assert "chmod o-rwx" in finding.fix

    (missing,) = check_recordings_dir(DirFacts(path, exists=False), ASTERISK)
    assert missing.status is Status.ERROR and "mkdir -p" in missing.fix
    (unknown,) = check_recordings_dir(shared, None)
    assert unknown.status is Status.WARNING and "doctor.asterisk_user" in unknown.fix


def test_disk_for_the_configured_days_at_the_current_rate() -> None:
    # 7 GiB over 7 days is 1 GiB a day: 30 days need 30 GiB.
    enough = check_disk(31 * GiB, 7 * GiB, 7, 30, Path("/r"))
    assert enough.status is Status.OK
    short = check_disk(29 * GiB, 7 * GiB, 7, 30, Path("/r"))
    assert short.status is Status.ERROR and "30 days" in short.message
    assert "retention_days" in short.fix
    assert check_disk(0, 0, 7, 30, Path("/r")).status is Status.OK  # nothing recorded yet


def test_clock() -> None:
    assert check_clock(ClockFacts(True, "timedatectl")).status is Status.OK
    unsynced = check_clock(ClockFacts(False, "chronyc: Not synchronised"))
    assert unsynced.status is Status.ERROR and "set-ntp" in unsynced.fix
    assert check_clock(ClockFacts(None, "no tool")).status is Status.WARNING


def test_calendar_time_zone_and_year() -> None:
    known = CalendarFacts("Asia/Krasnoyarsk", True, 2026, 18, 2, 0)
    assert check_calendar(known).status is Status.OK
    bad_zone = check_calendar(CalendarFacts("Mars/Olympus", False, 2026, 18, 2, 0))
    assert bad_zone.status is Status.ERROR and "hours.timezone" in bad_zone.fix
    unknown_year = check_calendar(CalendarFacts("Asia/Krasnoyarsk", True, 2031, 14, 0, 0))
    assert unknown_year.status is Status.WARNING and "hotline hours override" in unknown_year.fix
    # The administrator entered the decree by hand: fine.
    by_hand = CalendarFacts("Asia/Krasnoyarsk", True, 2031, 14, 0, 5)
    assert check_calendar(by_hand).status is Status.OK


def test_console_binding() -> None:
    loopback = check_console(ListenFacts(8080, "127.0.0.1", ("127.0.0.1",)))
    assert loopback.status is Status.OK
    exposed = check_console(ListenFacts(8080, "127.0.0.1", ("0.0.0.0",)))
    assert exposed.status is Status.ERROR and "0.0.0.0" in exposed.message
    intended = check_console(ListenFacts(8080, "0.0.0.0", ("0.0.0.0",)))
    assert intended.status is Status.WARNING and "nginx" in intended.fix
    assert check_console(ListenFacts(8080, "127.0.0.1", ())).status is Status.WARNING


def test_json_and_exit_status() -> None:
    findings = [
        check_clock(ClockFacts(None, "x")),
        check_fastagi("h", 1, "refused"),
        check_fastagi("h", 1, ""),
    ]
    assert has_errors(findings)
    document = as_json(findings)
    assert document["ok"] is False and document["errors"] == 1 and document["warnings"] == 1
    assert document["findings"][1] == {
        "check": "fastagi",
        "status": "error",
        "message": "nothing accepts FastAGI connections at h:1: refused",
        "fix": findings[1].fix,
    }
    assert not has_errors([findings[0], findings[2]])
