"""KServe's ``InferenceRESTClient`` (v1 and v2) against a model-server, run as its own process.

kserve and ``tritonclient.grpc`` both register the ``inference.*`` protobuf messages in the
default descriptor pool, so they cannot be imported into one process; the test runs this file
with ``python tests/model_server/kserve_probe.py URL MODEL ROWS.parquet`` and reads its JSON output.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig


def inputs(frame: pd.DataFrame) -> list[InferInput]:
    """One binary tensor per column (``set_data_from_numpy``'s default)."""
    tensors = []
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object:
            datatype, values = "BYTES", column.to_numpy(dtype=np.object_)
        elif np.issubdtype(column.dtype, np.integer):
            datatype, values = "INT64", column.to_numpy(dtype=np.int64)
        else:
            datatype, values = "FP64", column.to_numpy(dtype=np.float64)
        tensor = InferInput(name, [len(frame)], datatype)
        tensor.set_data_from_numpy(values)
        tensors.append(tensor)
    return tensors


async def probe(url: str, model: str, frame: pd.DataFrame) -> dict[str, Any]:
    found: dict[str, Any] = {}
    v1 = InferenceRESTClient(RESTConfig(protocol="v1"))
    try:
        found["v1_live"] = await v1.is_server_live(url)
        found["v1_ready"] = await v1.is_model_ready(url, model)
        answer = await v1.infer(url, {"instances": frame.to_dict(orient="records")}, model)
        found["v1_predictions"] = answer["predictions"]
        rows = frame.to_numpy().tolist()
        found["v1_list_predictions"] = (await v1.infer(url, {"instances": rows}, model))[
            "predictions"
        ]
    finally:
        await v1.close()
    v2 = InferenceRESTClient(RESTConfig(protocol="v2"))
    try:
        found["v2_live"] = await v2.is_server_live(url)
        found["v2_ready"] = await v2.is_model_ready(url, model)
        response = await v2.infer(url, InferRequest(model, inputs(frame)), model)
        outputs = {o.name: o.as_numpy() for o in response.outputs}
        found["v2_labels"] = [
            v.decode() if isinstance(v, bytes) else str(v) for v in outputs["label"].ravel()
        ]
        found["v2_probabilities"] = outputs["probabilities"].tolist()
    finally:
        await v2.close()
    return found


def main() -> int:
    url, model, rows = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    frame = pd.read_parquet(rows)
    print(json.dumps(asyncio.run(probe(url, model, frame))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
