"""The RFC 4733 caller stream SIPp plays in the SIP menu bench (bench/rtp_dtmf.py).

The pcap is parsed back here with struct independently of the writer's own reader, so a
wrong header layout in both would still be caught.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bench.rtp_dtmf import (
    EVENT_PT,
    PCMA_PT,
    PCMA_SILENCE,
    SAMPLES_PER_PACKET,
    Key,
    RtpPacket,
    TelephoneEvent,
    read_rtp,
    stream,
    write_pcap,
)

KEYS = (Key("3", 1000), Key("*", 2000, 60), Key("#", 3000))


def _parse(data: bytes) -> list[tuple[float, int, bool, int, int, bytes]]:
    magic, major, minor, _zone, _figs, _snap, link = struct.unpack("<IHHiIII", data[:24])
    assert (magic, major, minor, link) == (0xA1B2C3D4, 2, 4, 1)
    out, offset = [], 24
    while offset < len(data):
        sec, usec, caplen, length = struct.unpack("<IIII", data[offset : offset + 16])
        assert caplen == length
        frame = data[offset + 16 : offset + 16 + caplen]
        offset += 16 + caplen
        assert frame[12:14] == b"\x08\x00"  # IPv4
        ip = frame[14:34]
        assert ip[0] == 0x45 and ip[9] == 17  # UDP
        assert struct.unpack("!H", ip[2:4])[0] == len(frame) - 14
        words = struct.unpack("!10H", ip)
        total = sum(words)
        while total > 0xFFFF:
            total = (total & 0xFFFF) + (total >> 16)
        assert total == 0xFFFF  # the header checksum verifies
        udp = frame[34:]
        assert struct.unpack("!H", udp[4:6])[0] == len(udp)
        rtp = udp[8:]
        b0, b1, seq, ts, _ssrc = struct.unpack("!BBHII", rtp[:12])
        assert b0 == 0x80
        out.append((sec + usec / 1e6, b1 & 0x7F, bool(b1 & 0x80), seq, ts, rtp[12:]))
    return out


def test_the_pcap_is_one_continuous_stream(tmp_path: Path) -> None:
    packets = _parse(write_pcap(tmp_path / "walk.pcap", KEYS, 4000).read_bytes())
    times = [p[0] for p in packets]
    sequences = [p[3] for p in packets]
    stamps = [p[4] for p in packets]
    assert times == sorted(times) and times[0] == 0.0 and times[-1] < 4.0
    assert sequences == list(range(len(packets)))  # +1 per packet, end repeats included
    assert stamps == sorted(stamps)  # never backwards, across the keys
    assert {p[1] for p in packets} == {PCMA_PT, EVENT_PT}
    audio = [p for p in packets if p[1] == PCMA_PT]
    assert all(p[5] == PCMA_SILENCE for p in audio)
    assert [p[2] for p in packets].count(True) == 1 + len(KEYS)  # stream start + each key
    # Audio timestamps are the sending instant in 8 kHz samples.
    assert all(p[4] == round(p[0] * 8000) for p in audio)


def test_each_key_is_an_rfc4733_event_with_three_end_packets(tmp_path: Path) -> None:
    packets = _parse(write_pcap(tmp_path / "walk.pcap", KEYS, 4000).read_bytes())
    events = [p for p in packets if p[1] == EVENT_PT]
    by_start: dict[int, list[tuple[float, int, bool, int, int, bytes]]] = {}
    for packet in events:
        by_start.setdefault(packet[4], []).append(packet)
    assert sorted(by_start) == [k.at_ms * 8 for k in KEYS]  # one timestamp per key: its start
    for key, (_start, group) in zip(KEYS, sorted(by_start.items()), strict=True):
        decoded = [TelephoneEvent.decode(p[5]) for p in group]
        assert {e.event for e in decoded} == {{"3": 3, "*": 10, "#": 11}[key.digit]}
        assert group[0][2] and not any(p[2] for p in group[1:])  # marker on the first only
        assert [e.end for e in decoded] == [False] * (len(decoded) - 3) + [True] * 3
        durations = [e.duration for e in decoded]
        assert durations == sorted(durations) and len(set(durations[-3:])) == 1
        assert durations[-1] == key.duration_ms * 8
        assert durations[0] == SAMPLES_PER_PACKET
        assert {e.volume for e in decoded} == {10}
        assert len({p[0] for p in group[-3:]}) == 1  # the end packet repeated at one instant
        # Audio stops while the key is held and resumes right after.
        held = [p for p in packets if group[0][0] <= p[0] <= group[-1][0]]
        assert all(p[1] == EVENT_PT for p in held)


def test_the_writers_reader_agrees(tmp_path: Path) -> None:
    data = write_pcap(tmp_path / "walk.pcap", KEYS, 4000).read_bytes()
    packets = [packet for _at, packet in read_rtp(data)]
    assert packets == stream(KEYS, 4000)
    assert isinstance(packets[0], RtpPacket)


@pytest.mark.parametrize(
    "keys",
    [
        [Key("1", 1000), Key("2", 1080)],  # the second starts before the first's end packet
        [Key("x", 1000)],
        [Key("1", 1000, 20)],
    ],
)
def test_impossible_keys_are_refused(keys: list[Key]) -> None:
    with pytest.raises(ValueError):
        stream(keys, 3000)
