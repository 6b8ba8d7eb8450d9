"""A directory of prediction-log batches waiting for the collector, replayed oldest first.

Each batch is one file ``<sequence>-<rows>.json`` holding the exact request body, written to a
temporary name and renamed, so a crash never leaves a half batch behind. Sequence numbers continue
across restarts, which keeps the order. A batch the collector refuses (4xx) moves to
``dead-letter/`` so it is kept for inspection but never blocks the ones behind it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

_NAME = re.compile(r"^(?P<seq>\d{12})-(?P<rows>\d+)\.json$")


@dataclass(frozen=True)
class SpooledBatch:
    path: Path
    rows: int
    size: int

    def read(self) -> bytes:
        return self.path.read_bytes()


class Spool:
    """Ordered on-disk queue of log batches with a total size bound."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.dead_letter_dir = directory / "dead-letter"
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.tmp"):
            stale.unlink(missing_ok=True)
        self._batches: list[SpooledBatch] = []
        self.bytes = 0
        for path in sorted(directory.iterdir()):
            match = _NAME.match(path.name)
            if match:
                batch = SpooledBatch(path, int(match["rows"]), path.stat().st_size)
                self._batches.append(batch)
                self.bytes += batch.size
        names = [p.name for p in directory.glob("*.json")]
        if self.dead_letter_dir.is_dir():
            names += [p.name for p in self.dead_letter_dir.glob("*.json")]
        sequences = [int(m["seq"]) for m in map(_NAME.match, names) if m]
        self._next = max(sequences, default=0) + 1

    def __len__(self) -> int:
        return len(self._batches)

    def append(self, body: bytes, rows: int) -> bool:
        """Keep a batch on disk; False (nothing written) when the spool is full."""
        if self.bytes + len(body) > self.max_bytes:
            return False
        path = self.directory / f"{self._next:012d}-{rows}.json"
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
        self._next += 1
        self._batches.append(SpooledBatch(path, rows, len(body)))
        self.bytes += len(body)
        return True

    def adopt(self, other: Path) -> int:
        """Take over the batches of a spool nobody replays any more (a worker slot that no
        longer exists), after this spool's own and in their order; returns how many."""
        found = sorted(p for p in other.glob("*.json") if _NAME.match(p.name))
        for path in found:
            match = _NAME.match(path.name)
            assert match is not None
            target = self.directory / f"{self._next:012d}-{match['rows']}.json"
            path.replace(target)
            self._next += 1
            batch = SpooledBatch(target, int(match["rows"]), target.stat().st_size)
            self._batches.append(batch)
            self.bytes += batch.size
        return len(found)

    def oldest(self) -> SpooledBatch | None:
        return self._batches[0] if self._batches else None

    def remove(self, batch: SpooledBatch) -> None:
        """Forget a delivered batch."""
        self._forget(batch)
        batch.path.unlink(missing_ok=True)

    def dead_letter(self, batch: SpooledBatch, reason: str) -> Path:
        """Move a refused batch aside, with the collector's answer next to it."""
        self.dead_letter_dir.mkdir(exist_ok=True)
        target = self.dead_letter_dir / batch.path.name
        batch.path.replace(target)
        target.with_suffix(".reason.txt").write_text(reason)
        self._forget(batch)
        return target

    def reject(self, body: bytes, rows: int, reason: str) -> Path:
        """Put a batch that never was spooled straight into the dead-letter folder."""
        self.dead_letter_dir.mkdir(exist_ok=True)
        target = self.dead_letter_dir / f"{self._next:012d}-{rows}.json"
        self._next += 1
        target.write_bytes(body)
        target.with_suffix(".reason.txt").write_text(reason)
        return target

    def _forget(self, batch: SpooledBatch) -> None:
        self._batches.remove(batch)
        self.bytes -= batch.size
