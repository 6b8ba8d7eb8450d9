"""Claims on evaluations in the database, so two collectors never evaluate a version twice.

The unique constraint on (model, version, golden digest) is the lock: the first collector's
INSERT wins; the others see the row. A ``failed`` evaluation, or a ``running`` one whose holder
stopped sending heartbeats (a crashed collector), may be taken over by one UPDATE whose WHERE
clause re-checks the state, so only one collector gets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from modelfleet.common.db.engine import is_postgres
from modelfleet.common.db.models import Evaluation
from modelfleet.common.errors import ConflictError
from modelfleet.common.wire import EVALUATION_FAILED, EVALUATION_RUNNING


@dataclass(frozen=True)
class Claim:
    """This collector now owns the evaluation and must heartbeat it."""

    evaluation_id: int
    attempts: int
    taken_over: bool


@dataclass(frozen=True)
class Busy:
    """Somebody else has it, or it is already done."""

    evaluation_id: int
    status: str
    claimed_by: str | None


class ClaimLostError(ConflictError):
    """Another collector took the evaluation over (our heartbeat had gone stale)."""


def _now() -> datetime:
    return datetime.now(UTC)


def claim(
    engine: Engine,
    *,
    model: str,
    version: str,
    golden_name: str,
    golden_digest: str,
    target_url: str,
    owner: str,
    stale_seconds: float,
) -> Claim | Busy:
    """Create or take over the evaluation of (model, version, digest), or say who has it."""
    now = _now()
    key = and_(
        Evaluation.model_name == model,
        Evaluation.model_version == version,
        Evaluation.golden_digest == golden_digest,
    )
    values: dict[str, Any] = {
        "model_name": model,
        "model_version": version,
        "golden_name": golden_name,
        "golden_digest": golden_digest,
        "target_url": target_url,
        "status": EVALUATION_RUNNING,
        "claimed_by": owner,
        "heartbeat_at": now,
        "attempts": 1,
        "rows_total": 0,
        "rows_scored": 0,
        "rows_skipped": 0,
        "created_at": now,
        "started_at": now,
    }
    with engine.begin() as conn:
        insert = pg_insert if is_postgres(engine) else sqlite_insert
        created = conn.execute(
            insert(Evaluation)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["model_name", "model_version", "golden_digest"])
            .returning(Evaluation.id)
        ).scalar()
        if created is not None:
            return Claim(int(created), 1, taken_over=False)
        taken = _take_over(
            conn, key, owner, target_url, now, now - timedelta(seconds=stale_seconds)
        )
        if taken is not None:
            return taken
        row = conn.execute(
            select(Evaluation.id, Evaluation.status, Evaluation.claimed_by).where(key)
        ).one()
        return Busy(int(row[0]), str(row[1]), row[2])


def _take_over(
    conn: Connection,
    key: ColumnElement[bool],
    owner: str,
    target_url: str,
    now: datetime,
    stale: datetime,
) -> Claim | None:
    """Claim a failed evaluation, or a running one without a heartbeat since ``stale``."""
    taken = conn.execute(
        update(Evaluation)
        .where(
            key,
            or_(
                Evaluation.status == EVALUATION_FAILED,
                and_(
                    Evaluation.status == EVALUATION_RUNNING,
                    or_(Evaluation.heartbeat_at.is_(None), Evaluation.heartbeat_at < stale),
                ),
            ),
        )
        .values(
            status=EVALUATION_RUNNING,
            claimed_by=owner,
            heartbeat_at=now,
            attempts=Evaluation.attempts + 1,
            error=None,
            target_url=target_url,
            started_at=now,
            finished_at=None,
        )
        .returning(Evaluation.id, Evaluation.attempts)
    ).first()
    return None if taken is None else Claim(int(taken[0]), int(taken[1]), taken_over=True)


def heartbeat(engine: Engine, evaluation_id: int, owner: str, **values: Any) -> None:
    """Prove we are alive (and record progress); raises if the claim was taken from us."""
    with engine.begin() as conn:
        result = conn.execute(
            update(Evaluation)
            .where(
                Evaluation.id == evaluation_id,
                Evaluation.claimed_by == owner,
                Evaluation.status == EVALUATION_RUNNING,
            )
            .values(heartbeat_at=_now(), **values)
        )
    if result.rowcount == 0:
        raise ClaimLostError(f"evaluation {evaluation_id} was taken over by another collector")


def finish(engine: Engine, evaluation_id: int, owner: str, status: str, **values: Any) -> None:
    """Mark the evaluation ``done`` or ``failed`` (only while we still hold it)."""
    now = _now()
    with engine.begin() as conn:
        result = conn.execute(
            update(Evaluation)
            .where(Evaluation.id == evaluation_id, Evaluation.claimed_by == owner)
            .values(status=status, heartbeat_at=now, finished_at=now, **values)
        )
    if result.rowcount == 0:
        raise ClaimLostError(f"evaluation {evaluation_id} was taken over by another collector")
