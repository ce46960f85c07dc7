"""Issue 21, the auditor's remaining invariants (Asterisk's CDR/CEL against the store, the
recordings against their index, the audit log's continuity, the console's errors during
faults), each on facts that hold and on a scripted violation; and the CSV readers on rows
in the shape cdr_csv and cel_custom write them."""

from __future__ import annotations

from pathlib import Path

from bench.soak.audit import (
    Attempt,
    Cdr,
    Cel,
    ConsoleResponse,
    IndexRow,
    RecordingFile,
    Window,
    audit_log_contiguous,
    campaign_cdrs_match_attempts,
    console_errors_explained,
    inbound_cdrs_have_call_rows,
    recordings_indexed,
    started_in,
)
from bench.soak.facts import parse_cdrs, parse_cels, recording_files

INBOUND = frozenset({"hotline-inbound", "hotline-sim-caller"})
CARRIER = "hotline-sim-carrier"


def _cel(uniqueid: str, context: str, channel: str, exten: str = "s") -> Cel:
    return Cel("CHAN_START", 100.0, context, exten, channel, uniqueid)


def test_every_inbound_cdr_needs_a_call_row_unless_the_engine_was_away() -> None:
    cels = [
        _cel("1.1", "hotline-inbound", "PJSIP/hotline-carrier-0001"),
        _cel("1.2", "hotline-sim-caller", "Local/1@hotline-sim-caller-0001;2"),
        _cel("1.3", "hotline-sim-caller", "Local/1@hotline-sim-caller-0001;1"),  # its own leg
        _cel("1.4", "hotline-inbound", "PJSIP/hotline-carrier-0002"),
    ]
    inbound = started_in(cels, INBOUND)
    assert set(inbound) == {"1.1", "1.2", "1.4"}
    cdrs = [
        Cdr("1.1", "PJSIP/hotline-carrier-0001", "s", 100.0, "ANSWERED"),
        Cdr("1.1", "PJSIP/hotline-carrier-0001", "s", 101.0, "ANSWERED"),  # a second leg
        Cdr("1.2", "Local/1@hotline-sim-caller-0001;2", "s", 100.0, "ANSWERED"),
        Cdr("1.3", "Local/1@hotline-sim-caller-0001;1", "s", 100.0, "ANSWERED"),
        Cdr("1.4", "PJSIP/hotline-carrier-0002", "s", 200.0, "ANSWERED"),
    ]
    held = inbound_cdrs_have_call_rows(cdrs, inbound, {"1.1", "1.2", "1.4"})
    assert held.held and held.checked == 3

    lost = inbound_cdrs_have_call_rows(cdrs, inbound, {"1.1", "1.2"})
    assert len(lost.violations) == 1 and "CDR 1.4" in lost.violations[0]
    away = inbound_cdrs_have_call_rows(cdrs, inbound, {"1.1", "1.2"}, [Window(190.0, 210.0)])
    assert away.held and "1 calls while no engine ran: 1.4" in away.note
    # Began 0.6 s after the engine went away, read as 0.4 s before (whole CDR seconds).
    cut = [Cdr("1.4", "PJSIP/hotline-carrier-0002", "s", 189.0, "ANSWERED", 194.0)]
    assert inbound_cdrs_have_call_rows(cut, inbound, set(), [Window(189.4, 210.0)]).held
    early = [Cdr("1.4", "PJSIP/hotline-carrier-0002", "s", 187.0, "ANSWERED", 194.0)]
    assert not inbound_cdrs_have_call_rows(early, inbound, set(), [Window(189.4, 210.0)]).held
    # Still there when the engine was back: it was the engine's to find.
    long_call = [Cdr("1.4", "PJSIP/hotline-carrier-0002", "s", 200.0, "ANSWERED", 260.0)]
    outlived = inbound_cdrs_have_call_rows(long_call, inbound, set(), [Window(190.0, 210.0)])
    assert len(outlived.violations) == 1 and "no call-log row" in outlived.violations[0]


def _leg(uniqueid: str, phone: str, n: int, dst: str | None = None) -> Cdr:
    channel = f"Local/{phone}@hotline-sim-carrier-{n:08d};1"
    return Cdr(uniqueid, channel, phone if dst is None else dst, 100.0, "BUSY")


def test_a_campaign_cdr_must_be_a_stored_attempts_and_none_beyond_them() -> None:
    attempts = [Attempt("a1", "+79130000012"), Attempt("a2", "+79130000023")]
    cdrs = [
        _leg("a1", "79130000012", 1),
        _leg("a2", "79130000023", 2, dst="s"),  # answered: the leg ran the dialer's "s"
        Cdr("a1;2", "Local/79130000012@hotline-sim-carrier-00000001;2", "sim-2", 100.0, "BUSY"),
        Cdr("1.5", "PJSIP/hotline-carrier-00000001", "s", 100.0, "ANSWERED"),  # inbound
    ]
    held = campaign_cdrs_match_attempts(cdrs, attempts, CARRIER)
    assert held.held and held.checked == 2

    again = [*cdrs, _leg("x9", "79130000012", 3)]
    redialled = campaign_cdrs_match_attempts(again, attempts, CARRIER)
    assert len(redialled.violations) == 2
    assert redialled.violations[0].startswith("CDR x9: +79130000012 dialled at ")
    assert redialled.violations[1] == "+79130000012: 2 CDRs for 1 stored attempts"
    assert "no such attempt" in redialled.violations[0]
    crossed = campaign_cdrs_match_attempts([_leg("a1", "79130000023", 1)], attempts, CARRIER)
    assert crossed.violations[0] == "CDR a1: +79130000023 dialled for an attempt to +79130000012"


def test_each_recording_file_needs_its_row_and_each_row_its_file() -> None:
    files = [RecordingFile("/rec/a.wav", 4000), RecordingFile("/rec/b.wav", 4000)]
    rows = [IndexRow("/rec/a.wav", 100.0), IndexRow("/rec/b.wav", 150.0)]
    assert recordings_indexed(files, rows).held

    orphan = recordings_indexed([*files, RecordingFile("/rec/c.wav", 4000)], rows)
    assert orphan.violations == ["/rec/c.wav: a file with no index row"]
    lost = recordings_indexed(files[:1], rows)
    assert len(lost.violations) == 1 and "/rec/b.wav: indexed at" in lost.violations[0]
    empty = recordings_indexed([files[0], RecordingFile("/rec/b.wav", 0)], rows)
    assert "file empty" in empty.violations[0]
    # Refused by the full disk: excused, and said so.
    refused = recordings_indexed(files[:1], rows, [Window(140.0, 160.0)])
    assert refused.held and "1 refused by the full disk: /rec/b.wav" in refused.note
    # A file without a row is never the full disk's doing.
    assert not recordings_indexed(files, rows[:1], [Window(0.0, 1e12)]).held


def test_the_audit_log_may_have_no_gap_and_no_repeat() -> None:
    assert audit_log_contiguous([3, 1, 2, 4]).held
    assert audit_log_contiguous([]).held
    assert audit_log_contiguous([1, 2, 5, 6]).violations == ["ids 3..4 missing"]
    assert audit_log_contiguous([1, 2, 2, 3]).violations == ["id 2 twice"]


def test_a_console_5xx_is_a_violation_outside_a_fault_and_must_be_a_clear_503_inside() -> None:
    fault = [Window(100.0, 110.0)]
    fine = [
        ConsoleResponse(50.0, "/wallboard", 200, ""),
        ConsoleResponse(105.0, "/wallboard", 503, "База данных недоступна"),
        ConsoleResponse(106.0, "/login", 303, ""),
    ]
    held = console_errors_explained(fine, fault)
    assert held.held and held.checked == 3

    outside = console_errors_explained([ConsoleResponse(120.0, "/wallboard", 503, "")], fault)
    assert len(outside.violations) == 1 and "outside any fault" in outside.violations[0]
    bare_500 = console_errors_explained(
        [ConsoleResponse(105.0, "/wallboard", 500, "Internal Server Error")], fault
    )
    assert "not a clear 503" in bare_500.violations[0]
    traceback = console_errors_explained(
        [ConsoleResponse(105.0, "/wallboard", 503, "Traceback (most recent call last):")], fault
    )
    assert not traceback.held


def test_cdr_csv_and_cel_custom_rows_are_read_and_cut_rows_skipped() -> None:
    cdr = (
        '"","79135550000","88005553535","hotline-inbound","""Ivan"" <79135550000>",'
        '"PJSIP/hotline-carrier-00000001","","Hangup","","2026-12-03 22:10:00",'
        '"2026-12-03 22:10:01","2026-12-03 22:10:09",9,8,"ANSWERED","DOCUMENTATION",'
        '"1764799800.12"\n'
        '"","79135550000","88005553535","hotline-inbound"\n'  # cut short by a kill
    )
    (row,) = parse_cdrs(cdr)
    assert row == Cdr(
        "1764799800.12",
        "PJSIP/hotline-carrier-00000001",
        "88005553535",
        1796335800.0,
        "ANSWERED",
        1796335809.0,
    )
    cel = (
        '"CHAN_START","1764799800.500000","hotline-sim-carrier","79130000012",'
        '"Local/79130000012@hotline-sim-carrier-00000002;2","","1764799800.13","1764799800.12"\n'
        '"HANGUP"\n'
    )
    (event,) = parse_cels(cel)
    assert event == Cel(
        "CHAN_START",
        1764799800.5,
        "hotline-sim-carrier",
        "79130000012",
        "Local/79130000012@hotline-sim-carrier-00000002;2",
        "1764799800.13",
    )


def test_recording_files_skip_the_disk_full_filler(tmp_path: Path) -> None:
    (tmp_path / "2026" / "12").mkdir(parents=True)
    (tmp_path / "2026" / "12" / "call.wav").write_bytes(b"RIFF")
    (tmp_path / "soak-filler.bin").write_bytes(b"")
    found = recording_files(tmp_path, frozenset({"soak-filler.bin"}))
    assert found == [RecordingFile(str(tmp_path / "2026" / "12" / "call.wav"), 4)]
