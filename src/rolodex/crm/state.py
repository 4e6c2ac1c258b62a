"""The full state of one association: what history records and replays."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AssociationState:
    a: int  # always the smaller record id
    b: int
    a_type: int
    b_type: int
    labels: frozenset[tuple[int, bool]] = field(default_factory=frozenset)  # (label id, a is from)
    a_primary_b: bool = False
    b_primary_a: bool = False

    def labels_json(self) -> str:
        return json.dumps(sorted([lid, bool(fwd)] for lid, fwd in self.labels))

    @staticmethod
    def parse_labels(text: str) -> frozenset[tuple[int, bool]]:
        return frozenset((int(lid), bool(fwd)) for lid, fwd in json.loads(text or "[]"))

    def key(self) -> tuple[int, int]:
        return (self.a, self.b)

    def comparable(self) -> tuple:
        return (
            self.a,
            self.b,
            self.a_type,
            self.b_type,
            self.labels,
            self.a_primary_b,
            self.b_primary_a,
        )
