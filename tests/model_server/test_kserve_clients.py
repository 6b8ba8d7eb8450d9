"""KServe's ``InferenceRESTClient`` on its defaults: v1 probes and predict, v2 binary tensors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from modelfleet.cli.processes import ManagedProcess
from modelfleet.model_server.execution import TOLERANCE

pytestmark = pytest.mark.integration

PROBE = Path(__file__).with_name("kserve_probe.py")


@pytest.fixture(scope="module")
def sample(gaming_rows: pd.DataFrame) -> pd.DataFrame:
    return gaming_rows.sample(20, random_state=5).reset_index(drop=True)


def test_kserve_client_v1_and_v2(
    served: ManagedProcess,
    registered_model: dict[str, str],
    sample: pd.DataFrame,
    reference_pipeline: Any,
    tmp_path: Path,
) -> None:
    rows = tmp_path / "rows.parquet"
    sample.to_parquet(rows)  # exact floats: JSON would round them
    done = subprocess.run(
        [sys.executable, str(PROBE), served.url, registered_model["name"], str(rows)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    expected = [str(label) for label in reference_pipeline.predict(sample)]
    assert found["v1_live"] is True and found["v1_ready"] is True
    assert found["v1_predictions"] == expected
    assert found["v1_list_predictions"] == expected
    assert found["v2_live"] is True and found["v2_ready"] is True
    assert found["v2_labels"] == expected
    np.testing.assert_allclose(
        np.array(found["v2_probabilities"]),
        reference_pipeline.predict_proba(sample),
        rtol=0,
        atol=TOLERANCE,  # the compiled path's bound against scikit-learn
    )


def test_kserve_v1_errors_and_listing(
    served: ManagedProcess, registered_model: dict[str, str], sample: pd.DataFrame
) -> None:
    name = registered_model["name"]
    assert httpx.get(served.url + "/v1/models").json() == {"models": [name]}
    assert httpx.get(served.url + "/v1/models/other").status_code == 404
    row = sample.head(1).to_dict(orient="records")[0]
    bad = httpx.post(
        served.url + f"/v1/models/{name}:predict", json={"instances": [{**row, "Age": "old"}]}
    )
    assert bad.status_code == 400 and "'Age'" in bad.json()["error"]
    missing = httpx.post(served.url + f"/v1/models/{name}:predict", json={"rows": [row]})
    assert missing.status_code == 400 and "instances" in missing.json()["error"]
