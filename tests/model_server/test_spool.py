"""The prediction-log spool on its own: order, bounds, dead letters and restarts (no services)."""

from __future__ import annotations

from pathlib import Path

from modelfleet.model_server.spool import Spool


def test_batches_come_back_oldest_first_and_order_survives_a_reopen(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10_000)
    for n in range(3):
        assert spool.append(f"body-{n}".encode(), rows=n + 1)
    oldest = spool.oldest()
    assert oldest is not None and oldest.read() == b"body-0" and oldest.rows == 1
    spool.remove(oldest)

    reopened = Spool(tmp_path, max_bytes=10_000)  # a restart
    assert len(reopened) == 2 and reopened.bytes == len(b"body-1") + len(b"body-2")
    assert reopened.append(b"body-3", rows=4)
    bodies = []
    while (batch := reopened.oldest()) is not None:
        bodies.append(batch.read())
        reopened.remove(batch)
    assert bodies == [b"body-1", b"body-2", b"body-3"]
    assert not list(tmp_path.glob("*.json"))


def test_a_full_spool_refuses_and_writes_nothing(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=2048)
    assert spool.append(b"x" * 1500, rows=1)
    assert not spool.append(b"y" * 1000, rows=1)
    assert len(spool) == 1 and len(list(tmp_path.glob("*.json"))) == 1


def test_half_written_batches_of_a_crash_are_discarded(tmp_path: Path) -> None:
    (tmp_path / "000000000001-5.tmp").write_bytes(b'{"predictions": [')
    spool = Spool(tmp_path, max_bytes=10_000)
    assert len(spool) == 0 and not list(tmp_path.glob("*.tmp"))


def test_dead_letters_keep_the_reason_and_never_reuse_a_sequence(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10_000)
    spool.append(b"refused", rows=2)
    batch = spool.oldest()
    assert batch is not None
    moved = spool.dead_letter(batch, "HTTP 422: bad row")
    assert moved.parent == tmp_path / "dead-letter" and moved.read_bytes() == b"refused"
    assert moved.with_suffix(".reason.txt").read_text() == "HTTP 422: bad row"
    rejected = spool.reject(b"never spooled", rows=1, reason="HTTP 400")
    assert rejected.parent == moved.parent and rejected.name != moved.name
    assert len(spool) == 0 and spool.bytes == 0

    reopened = Spool(tmp_path, max_bytes=10_000)  # sequences continue after dead letters too
    reopened.append(b"next", rows=1)
    newest = reopened.oldest()
    assert newest is not None
    assert newest.path.name > rejected.name
