"""Settings of the model server: which version it serves, input limits, batching and logging."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from modelfleet.common.mlflow_registry import ModelRef
from modelfleet.common.settings import BaseServiceSettings
from modelfleet.model_server.workers import cpu_limit


class ModelServerSettings(BaseServiceSettings):
    """Environment of ``python -m modelfleet.model_server`` (prefix ``MODELFLEET_``)."""

    port: int = 8100
    """Local default port of the first model server (8080 in the cluster)."""

    grpc_port: int = Field(default=8081, ge=0, le=65535)
    """Open Inference Protocol gRPC port (8081 as in KServe); 0 switches gRPC off."""

    invocations_input: Literal["mlflow", "strict"] = "mlflow"
    """``mlflow``: ``/invocations`` accepts what ``mlflow models serve`` accepts and predicts
    correctly (extra columns, pandas' CSV index, numeric strings, scalar ``inputs``), counting
    and naming each adaptation; ``strict``: it refuses them like ``/v1/predict``."""

    model_name: str = ""
    """Registered model name in MLflow."""

    model_version: str | None = None
    """Concrete version to serve; exactly one of this and ``model_alias``."""

    model_alias: str | None = None
    """Alias (e.g. ``champion``) resolved to a concrete version once at start."""

    collector_url: str | None = None
    """Prediction collector; unset means predictions are not logged anywhere."""

    collector_token: SecretStr | None = None
    """Bearer token for the collector; defaults to ``api_token``."""

    unknown_columns: Literal["reject", "ignore"] = "reject"
    """What to do with input columns the model's signature does not know."""

    max_rows: int = Field(default=10_000, ge=1)
    """Largest batch one request may send."""

    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    """Largest request body accepted (413 above)."""

    batching: bool = True
    """Coalesce concurrent requests into one model call."""

    max_batch_size: int = Field(default=256, ge=1)
    """Rows per model call when batching (a single request larger than this runs alone). Large,
    because a tree ensemble's cost per call (hundreds of per-tree calls) dwarfs its cost per row."""

    max_batch_wait_ms: float = Field(default=0.0, ge=0.0)
    """How long a batch may wait for more requests once the model is idle. 0 = adaptive only:
    requests that arrive while the model is busy are batched, an idle model never waits."""

    workers: int | None = Field(default=None, ge=1)
    """Worker processes sharing the port, each with its own copy of the model, batcher and log
    spool. Default: the CPU limit (the cgroup quota in a pod), else the CPUs of this machine."""

    prometheus_multiproc_dir: Path | None = Field(
        default=None, validation_alias="PROMETHEUS_MULTIPROC_DIR"
    )
    """Set by the server itself when it runs several workers: where prometheus_client's
    multiprocess mode keeps each worker's metric values (``/metrics`` sums them)."""

    inference_threads: int = Field(default=1, ge=1)
    """OpenMP/BLAS threads per model call. One suits online serving: on a small CPU budget,
    extra threads spin-wait against the event loop (measured: 80x the CPU of one thread for a
    one-row HistGradientBoosting call on a busy 2-core machine)."""

    compiled: bool = True
    """Serve through the fastest path that agrees with scikit-learn on the version's reference
    sample: numpy preprocessing in front of the trainer's compiled tree predictor, else of
    Treelite's interpreter (tree ensembles), else of the estimator itself
    (``modelfleet.model_server.execution``). False serves the scikit-learn pipeline itself."""

    inline_predict_ms: float = Field(default=1.0, ge=0)
    """Batches the serving path predicts within this time (measured at load) are predicted on
    the event loop itself; larger ones on the inference thread. Handing a 50 µs prediction to a
    thread costs more than the prediction: the thread must be woken and win the GIL back from
    the loop (up to the interpreter's 5 ms switch interval), once per batch. 0: always the
    thread."""

    verify_rows: int = Field(default=2_000, ge=0)
    """Reference-sample rows a faster path must reproduce before it serves."""

    log_batch_size: int = Field(default=1000, ge=1)
    """Prediction log rows per POST to the collector."""

    log_flush_seconds: float = Field(default=1.0, gt=0)
    """Longest time a prediction log waits in memory before it is shipped."""

    log_queue_rows: int = Field(default=100_000, ge=1)
    """Bound of the in-memory log queue; rows beyond it are dropped (counted and logged)."""

    log_retry_max_seconds: float = Field(default=30.0, gt=0)
    """Longest pause between attempts to reach a collector that is down."""

    spool_dir: Path | None = None
    """Where unshipped log batches wait on disk, one folder per worker slot (``worker-<i>``);
    default under the instance directory ``<state_dir>/model-servers/<model>-<ref>-<port>``."""

    spool_max_bytes: int = Field(default=1024 * 1024 * 1024, ge=1024)
    """Disk bound of the spool; batches beyond it are dropped (counted and logged)."""

    load_retry_seconds: float = Field(default=1.0, gt=0)
    """First delay before retrying a failed model load (doubles up to ``load_retry_max``)."""

    load_retry_max: float = Field(default=30.0, gt=0)
    """Longest delay between model load attempts."""

    @model_validator(mode="after")
    def _one_reference(self) -> ModelServerSettings:
        if not self.model_name:
            raise ValueError("MODELFLEET_MODEL_NAME is required")
        if (self.model_version is None) == (self.model_alias is None):
            raise ValueError(
                "set exactly one of MODELFLEET_MODEL_VERSION and MODELFLEET_MODEL_ALIAS"
            )
        return self

    @property
    def model_ref(self) -> ModelRef:
        return ModelRef(self.model_name, self.model_version, self.model_alias)

    def resolved_workers(self) -> int:
        return self.workers or cpu_limit()

    def instance_dir(self) -> Path:
        """This server's worker slots and (by default) log spools: one per model, ref and port."""
        ref = self.model_version or self.model_alias
        return self.state_dir / "model-servers" / f"{self.model_name}-{ref}-{self.port}"

    def metrics_dir(self) -> Path:
        return self.instance_dir() / "prometheus"

    def batch_dir(self) -> Path:
        """Slots and spools of batch scoring runs of the configured reference."""
        ref = self.model_version or self.model_alias
        return self.state_dir / "batch-scoring" / f"{self.model_name}-{ref}"

    def resolved_spool_dir(self, slot: int, *, batch: bool = False) -> Path:
        """The spool of one worker slot (``MODELFLEET_SPOOL_DIR``, else the instance's)."""
        root = self.spool_dir or (self.batch_dir() if batch else self.instance_dir()) / "spool"
        return root / (f"batch-{slot}" if batch else f"worker-{slot}")

    def collector_bearer(self) -> str | None:
        token = self.collector_token or self.api_token
        return token.get_secret_value() if token else None
