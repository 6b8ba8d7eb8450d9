"""The compiled tree-ensemble predictor the trainer built (``compiled/`` in the run's artifacts).

The shared library walks the trees in C; this module turns its output into exactly what the
estimator's ``predict_proba`` returns: the inputs rounded to float32 first where scikit-learn's
trees compare in float32, margins through float64 softmax/sigmoid for gradient boosting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit, softmax

from modelfleet.common import model_contract as contract


class TreesUnavailableError(Exception):
    """No usable compiled predictor; the message says why (shown in ``/v1/model``)."""


@dataclass
class CompiledTrees:
    """``predict_proba`` of a tree ensemble through its compiled library."""

    predictor: Any
    output: str
    float32_inputs: bool
    num_features: int

    @classmethod
    def load(cls, directory: Path, classes: list[str]) -> CompiledTrees:
        """Open the library for this platform; TreesUnavailableError when there is none."""
        manifest_path = directory / "manifest.json"
        if not manifest_path.is_file():
            raise TreesUnavailableError("the version has no compiled predictor (older trainer)")
        manifest = json.loads(manifest_path.read_text())
        if not manifest.get("compiled"):
            raise TreesUnavailableError(f"not compiled at training: {manifest.get('reason')}")
        library = manifest.get("libraries", {}).get(contract.platform_tag())
        if library is None:
            built = ", ".join(manifest.get("libraries", {})) or "none"
            raise TreesUnavailableError(
                f"no predictor built for {contract.platform_tag()} (built: {built})"
            )
        if manifest.get("classes") != classes:
            raise TreesUnavailableError("the compiled predictor's classes differ from the model's")
        import tl2cgen

        predictor = tl2cgen.Predictor(str(directory / library), nthread=1, verbose=False)
        return cls(
            predictor=predictor,
            output=str(manifest["output"]),
            float32_inputs=bool(manifest["float32_inputs"]),
            num_features=int(manifest["num_features"]),
        )

    def predict_proba(self, matrix: np.ndarray) -> np.ndarray:
        import tl2cgen

        if self.float32_inputs:
            matrix = matrix.astype(np.float32).astype(np.float64)
        margin = self.output != "probabilities"
        raw = self.predictor.predict(tl2cgen.DMatrix(matrix, dtype="float64"), pred_margin=margin)
        out = np.asarray(raw, dtype=np.float64).reshape(matrix.shape[0], -1)
        if self.output == "margin_softmax":
            return np.asarray(softmax(out, axis=1))
        if self.output == "margin_sigmoid":
            positive = expit(out[:, 0])
            return np.column_stack([1.0 - positive, positive])
        return out
