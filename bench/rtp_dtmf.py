"""One caller's RTP stream as a pcap for SIPp's ``play_pcap_audio``: G.711 A-law silence with
RFC 4733 telephone-events at chosen moments.

Why our own: SIPp's stock ``dtmf_2833_*.pcap`` restart their sequence numbers and timestamps
on every play, so a second key in the same call goes backwards and Asterisk drops it.  Here a
whole call is one stream with one SSRC: a 20 ms packet every 20 ms, sequence +1 per packet,
timestamp = the sending instant in 8 kHz samples.  Like a real phone, a key replaces the audio
while it is held: every event packet carries the key's start timestamp and a growing duration,
the first has the marker bit, and the end packet (E bit) is sent three times (RFC 4733 §2.5.1.4)
with the same timestamp and duration; audio then resumes at the current instant, so
timestamps never decrease.

Why hand-written: pcap (libpcap's classic format) is a 24-byte file header plus a 16-byte
header per packet; Ethernet/IPv4/UDP headers around the RTP are as small.  A packet library
(dpkt, scapy) would be a dependency for forty lines of ``struct``.  SIPp reads only the UDP
payload and the capture times: it sends the payload from the call's media port to the port in
Asterisk's SDP answer, paced by the capture times.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

SAMPLE_RATE: Final = 8000
PACKET_MS: Final = 20
SAMPLES_PER_PACKET: Final = SAMPLE_RATE * PACKET_MS // 1000
# Payload types: these must match the SDP offer of the SIPp scenario (m=audio ... 8 0 101).
PCMA_PT: Final = 8
EVENT_PT: Final = 101
PCMA_SILENCE: Final = b"\xd5" * SAMPLES_PER_PACKET
# RFC 4733 §3.2: events 0-9 are the digits, 10 is *, 11 is #, 12-15 are A-D.
EVENT_CODES: Final = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
EVENT_CODES.update({letter: 12 + i for i, letter in enumerate("ABCD")})
DEFAULT_VOLUME: Final = 10  # -10 dBm0, a typical phone
END_REPEATS: Final = 3
SSRC: Final = 0x484C4E31  # "HLN1"

_PCAP_MAGIC: Final = 0xA1B2C3D4  # microsecond timestamps
_LINKTYPE_ETHERNET: Final = 1
_SRC_MAC: Final = b"\x02\x00\x00\x00\x00\x01"
_DST_MAC: Final = b"\x02\x00\x00\x00\x00\x02"
_LOOPBACK: Final = bytes([127, 0, 0, 1])


@dataclass(frozen=True)
class Key:
    """A key pressed ``at_ms`` after the stream starts and held for ``duration_ms``."""

    digit: str
    at_ms: int
    duration_ms: int = 100


@dataclass(frozen=True)
class RtpPacket:
    at_ms: int  # when SIPp sends it, from the first packet
    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    payload: bytes

    def encode(self, ssrc: int = SSRC) -> bytes:
        first = 0x80  # version 2, no padding, no extension, no CSRC
        second = (0x80 if self.marker else 0) | self.payload_type
        header = struct.pack("!BBHII", first, second, self.sequence, self.timestamp, ssrc)
        return header + self.payload


@dataclass(frozen=True)
class TelephoneEvent:
    event: int
    end: bool
    volume: int
    duration: int  # in timestamp units (samples)

    def encode(self) -> bytes:
        return struct.pack(
            "!BBH", self.event, (0x80 if self.end else 0) | self.volume, self.duration
        )

    @classmethod
    def decode(cls, payload: bytes) -> TelephoneEvent:
        event, flags, duration = struct.unpack("!BBH", payload[:4])
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)


def _aligned(ms: int) -> int:
    return ms // PACKET_MS * PACKET_MS


def stream(keys: Sequence[Key], total_ms: int, volume: int = DEFAULT_VOLUME) -> list[RtpPacket]:
    """The packets of a call ``total_ms`` long with ``keys`` pressed (in time order, not
    overlapping, each at least 40 ms); times round down to the 20 ms packet grid."""
    ordered = sorted(keys, key=lambda k: k.at_ms)
    for before, after in itertools.pairwise(ordered):
        # A key takes its duration plus one slot for the end packet.
        if _aligned(before.at_ms) + _aligned(before.duration_ms) + PACKET_MS > _aligned(
            after.at_ms
        ):
            raise ValueError(f"keys overlap: {before} and {after}")
    for checked in ordered:
        if checked.digit not in EVENT_CODES:
            raise ValueError(f"not a DTMF key: {checked.digit!r}")
        if checked.duration_ms < 2 * PACKET_MS:
            raise ValueError(f"key {checked.digit!r} shorter than {2 * PACKET_MS} ms")
    packets: list[RtpPacket] = []
    sequence = 0

    def add(at_ms: int, pt: int, marker: bool, timestamp: int, payload: bytes) -> None:
        nonlocal sequence
        packets.append(RtpPacket(at_ms, pt, marker, sequence & 0xFFFF, timestamp, payload))
        sequence += 1

    pending = iter(ordered)
    key: Key | None = next(pending, None)
    at = 0
    while at < total_ms:
        if key is not None and at >= _aligned(key.at_ms):
            start = at * SAMPLE_RATE // 1000  # the event's timestamp: its first instant
            code = EVENT_CODES[key.digit]
            packets_held = _aligned(key.duration_ms) // PACKET_MS
            for i in range(1, packets_held + 1):
                duration = i * SAMPLES_PER_PACKET
                event = TelephoneEvent(code, False, volume, duration)
                add(at, EVENT_PT, i == 1, start, event.encode())
                at += PACKET_MS
            final = TelephoneEvent(code, True, volume, packets_held * SAMPLES_PER_PACKET)
            for _ in range(END_REPEATS):  # the same instant: retransmissions of one packet
                add(at, EVENT_PT, False, start, final.encode())
            at += PACKET_MS
            key = next(pending, None)
            continue
        add(at, PCMA_PT, not packets, at * SAMPLE_RATE // 1000, PCMA_SILENCE)
        at += PACKET_MS
    return packets


def _ipv4_header(length: int) -> bytes:
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, length, 0, 0x4000, 64, 17, 0, _LOOPBACK, _LOOPBACK
    )
    total = sum(struct.unpack("!10H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return header[:10] + struct.pack("!H", ~total & 0xFFFF) + header[12:]


def pcap_bytes(packets: Sequence[RtpPacket], src_port: int = 6000, dst_port: int = 10000) -> bytes:
    """Packets in a classic pcap (Ethernet, IPv4, UDP); SIPp rewrites ports and addresses."""
    out = [struct.pack("<IHHiIII", _PCAP_MAGIC, 2, 4, 0, 0, 65535, _LINKTYPE_ETHERNET)]
    for packet in packets:
        rtp = packet.encode()
        udp = struct.pack("!HHHH", src_port, dst_port, 8 + len(rtp), 0) + rtp  # no checksum
        frame = _DST_MAC + _SRC_MAC + b"\x08\x00" + _ipv4_header(20 + len(udp)) + udp
        seconds, micros = divmod(packet.at_ms * 1000, 1_000_000)
        out.append(struct.pack("<IIII", seconds, micros, len(frame), len(frame)) + frame)
    return b"".join(out)


def write_pcap(path: Path, keys: Sequence[Key], total_ms: int) -> Path:
    path.write_bytes(pcap_bytes(stream(keys, total_ms)))
    return path


def read_rtp(data: bytes) -> Iterator[tuple[int, RtpPacket]]:
    """``(capture time in µs, packet)`` from a pcap written by :func:`pcap_bytes`."""
    magic, _major, _minor, _zone, _sigfigs, _snap, link = struct.unpack("<IHHiIII", data[:24])
    if magic != _PCAP_MAGIC or link != _LINKTYPE_ETHERNET:
        raise ValueError("not a microsecond Ethernet pcap")
    offset = 24
    while offset < len(data):
        seconds, micros, captured, _length = struct.unpack("<IIII", data[offset : offset + 16])
        frame = data[offset + 16 : offset + 16 + captured]
        offset += 16 + captured
        rtp = frame[14 + 20 + 8 :]
        first, second, sequence, timestamp, _ssrc = struct.unpack("!BBHII", rtp[:12])
        if first >> 6 != 2:
            raise ValueError("not RTP version 2")
        at_us = seconds * 1_000_000 + micros
        packet = RtpPacket(
            at_us // 1000, second & 0x7F, bool(second & 0x80), sequence, timestamp, rtp[12:]
        )
        yield at_us, packet
