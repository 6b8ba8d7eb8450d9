"""Settings of the collector (environment variables with the ``MODELFLEET_`` prefix)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from modelfleet.common.settings import DatabaseSettings

DiscoveryMode = Literal["k8s", "local"]


class CollectorSettings(DatabaseSettings):
    """Everything the collector reads from the environment."""

    port: int = 8002
    """HTTP port (8002 on one machine, 8080 in the cluster)."""

    db_pool_size: int = 8
    """Connections kept open to the database (ingest runs this many COPYs at once)."""

    retry_after_seconds: int = 5
    """``Retry-After`` sent with a 503 when the database is unreachable."""

    golden: str = ""
    """Default golden set of the evaluation job: a catalog dataset name or a file path."""

    golden_target: str = ""
    """Target column of a golden file that is not in the catalog (else the model's target)."""

    discover: DiscoveryMode | None = None
    """Where the evaluation job finds model-servers when no URL is given: ``k8s`` or ``local``."""

    fleet_state_file: Path | None = None
    """State file of the local fleet (``modelfleet up``); its running model-servers are targets
    of ``local`` discovery. Default: ``fleet.json`` in the state directory."""

    model_server_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Extra model-servers for ``local`` discovery (JSON list or comma-separated)."""

    namespace: str = ""
    """Kubernetes namespace to discover in; empty means the pod's own namespace (or default)."""

    model_server_selector: str = "app.kubernetes.io/component=model-server"
    """Label selector of model-server Services."""

    evaluation_batch_size: int = 2000
    """Golden rows per ``/v1/predict`` request."""

    evaluation_retries: int = 4
    """Retries of a failing model-server request (with exponential backoff) before giving up."""

    evaluation_backoff: float = 0.5
    """First backoff delay in seconds; doubles after each failed attempt."""

    evaluation_timeout: float = 60.0
    """Timeout in seconds of one ``/v1/predict`` request."""

    claim_stale_seconds: int = 300
    """A running evaluation whose heartbeat is older than this may be taken over."""

    collector_id: str = ""
    """Name written into claims (defaults to host name and process id)."""

    def resolved_fleet_state_file(self) -> Path:
        return self.fleet_state_file or self.state_dir / "fleet.json"

    @field_validator("model_server_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: Any) -> Any:
        """Accept a JSON list or a comma-separated string."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value
