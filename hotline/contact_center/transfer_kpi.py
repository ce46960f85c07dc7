"""Desk KPIs beside the queue report's (issue 17), pure.  Transfers (R-030): how soon the
receiving side answered a caller an operator transferred, against
``transfer.answer_target`` (the seed: «Соединения со специалистом 40 сек.»); a transfer
nobody answered counts against the share.  Ring-no-answer (R-031): each operator's phone
that rang out unanswered."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Final

from hotline.contact_center.kpi import Kpi
from hotline.store.enums import QueueEventKind
from hotline.store.queue_events import QueueEventRecord
from hotline.store.transfers import TransferRecord

# The seed's limit for connection to a specialist, and its share: every transfer.
SEED_TRANSFER_ANSWER: Final = 40.0
SEED_TRANSFER_SHARE: Final = 1.0
TRANSFER_KPIS: Final = ("transfer_answer_within_target", "transfer_answer_time")


def transfer_kpis(transfers: Sequence[TransferRecord], answer_target: int) -> list[Kpi]:
    seconds = [t.answer_seconds for t in transfers]
    answered = [s for s in seconds if s is not None]
    within = sum(1 for s in answered if s <= answer_target)
    return [
        Kpi(
            "transfer_answer_within_target",
            round(within / len(transfers), 4) if transfers else None,
            SEED_TRANSFER_SHARE,
            "share",
            "ge",
            seed_target=SEED_TRANSFER_SHARE,
        ),
        Kpi(
            "transfer_answer_time",
            round(sum(answered) / len(answered), 1) if answered else None,
            float(answer_target),
            "s",
            seed_target=SEED_TRANSFER_ANSWER,
        ),
    ]


def ring_no_answer_by_operator(events: Iterable[QueueEventRecord]) -> dict[str, int]:
    """R-031: each operator's unanswered rings (their phone rang out and the queue moved on),
    most first."""
    counts = Counter(
        e.member for e in events if e.kind is QueueEventKind.RING_NO_ANSWER and e.member
    )
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
