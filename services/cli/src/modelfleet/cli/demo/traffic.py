"""Step 3: a day of traffic to the champion, and the labels that arrive days later.

Entity ids are ``<PlayerID>-d<day>``: the label is a player's engagement *on that day*, and the
collector joins a label to the latest prediction of its entity id, so one id per player-day
keeps every label on the prediction it is the truth for (a player plays on several days).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pandas as pd
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import text

from modelfleet.cli.console import console
from modelfleet.cli.demo.api import DemoError, predict
from modelfleet.cli.demo.context import DemoContext
from modelfleet.common.wire import LabelBatch, LabelIn, PredictRequest

_COUNT_ONLINE = text(
    "SELECT COUNT(*) FROM predictions "
    "WHERE model_name = :model AND model_version = :version AND source = 'online'"
)


def entity_ids(frame: pd.DataFrame, id_column: str, day: int) -> list[str]:
    return [f"{player}-d{day}" for player in frame[id_column]]


def send_day(ctx: DemoContext, day: int, frame: pd.DataFrame, url: str, label: str) -> int:
    """POST the day's rows to ``url`` in requests of ``request_rows`` from a few clients."""
    features = frame.drop(columns=[ctx.data.id_column, ctx.data.target])
    ids = entity_ids(frame, ctx.data.id_column, day)
    size = ctx.config.request_rows
    requests = [
        PredictRequest(
            records=features.iloc[i : i + size].to_dict("records"), entity_ids=ids[i : i + size]
        )
        for i in range(0, len(features), size)
    ]
    with (
        Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
        httpx.Client(timeout=60) as client,
        ThreadPoolExecutor(ctx.config.concurrency) as pool,
    ):
        task = progress.add_task("rows", total=len(features))
        for answer in pool.map(lambda r: predict(client, url, r), requests):
            progress.advance(task, len(answer.predictions))
    return len(features)


def post_labels(ctx: DemoContext, day: int, frame: pd.DataFrame) -> int:
    """The truth for ``day``'s players (the generator's label column), as the collector gets it."""
    now = datetime.now(UTC)
    labels = [
        LabelIn(entity_id=entity, label=str(label), observed_at=now)
        for entity, label in zip(
            entity_ids(frame, ctx.data.id_column, day), frame[ctx.data.target], strict=True
        )
    ]
    ctx.api.post_labels(LabelBatch(labels=labels))
    return len(labels)


def stored_online(ctx: DemoContext, version: str) -> int:
    """Online predictions of ``version`` the collector has stored so far."""
    with ctx.engine.connect() as conn:
        params = {"model": ctx.model, "version": version}
        return int(conn.execute(_COUNT_ONLINE, params).scalar_one())


def wait_stored(ctx: DemoContext, version: str, expected: int, timeout: float = 120) -> None:
    """Model-servers ship prediction logs asynchronously: wait until the collector has them."""
    deadline = time.monotonic() + timeout
    stored = 0
    while time.monotonic() < deadline:
        stored = stored_online(ctx, version)
        if stored >= expected:
            return
        time.sleep(0.5)
    raise DemoError(
        f"only {stored} of {expected} online predictions of v{version} reached the collector "
        f"within {timeout:.0f}s (see `modelfleet logs`)"
    )
