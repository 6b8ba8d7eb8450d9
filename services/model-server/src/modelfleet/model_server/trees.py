"""Tree ensembles through Treelite: the predictor the trainer compiled, or Treelite's interpreter.

Both run the Treelite model of the fitted estimator and return exactly what its
``predict_proba`` returns: inputs are rounded to float32 first where scikit-learn's trees compare
in float32, and margins go through float64 softmax/sigmoid for gradient boosting.

* :class:`CompiledTrees` opens ``compiled/predictor-<platform>.so``, which the trainer built with
  tl2cgen and a C compiler (``modelfleet.trainer.training.compiling``). Fastest, but only where
  the trainer had a compiler and for ensembles small enough to compile.
* :class:`InterpretedTrees` imports the estimator into Treelite at load and predicts with GTIL,
  the interpreter inside the treelite wheel: no compiler anywhere, any size, every version.

Both release the GIL while they walk the trees (ctypes calls), so the event loop keeps serving.
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
    """No usable Treelite predictor; the message says why (shown in ``/v1/model``)."""


@dataclass(frozen=True)
class TreeOutput:
    """How a Treelite model's inputs and outputs relate to the estimator's ``predict_proba``."""

    kind: str
    """``probabilities``, ``margin_softmax`` or ``margin_sigmoid`` (see ``tree_output``)."""
    float32_inputs: bool

    @classmethod
    def of(cls, estimator: str, n_classes: int) -> TreeOutput:
        return cls(
            contract.tree_output(estimator, n_classes),
            estimator in contract.FLOAT32_TREE_ENSEMBLES,
        )

    @property
    def margin(self) -> bool:
        return self.kind != "probabilities"

    def inputs(self, matrix: np.ndarray) -> np.ndarray:
        """The matrix as the estimator's trees see it (float64 holding float32 values)."""
        if self.float32_inputs:
            return matrix.astype(np.float32).astype(np.float64)
        return matrix

    def probabilities(self, raw: Any, rows: int) -> np.ndarray:
        out = np.asarray(raw, dtype=np.float64).reshape(rows, -1)
        if self.kind == "margin_softmax":
            return np.asarray(softmax(out, axis=1))
        if self.kind == "margin_sigmoid":
            positive = expit(out[:, 0])
            return np.column_stack([1.0 - positive, positive])
        return out


@dataclass
class CompiledTrees:
    """``predict_proba`` through the compiled library the trainer built."""

    predictor: Any
    output: TreeOutput
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

        try:
            predictor = tl2cgen.Predictor(str(directory / library), nthread=1, verbose=False)
        except tl2cgen.TL2cgenError as exc:
            raise TreesUnavailableError(f"cannot open {library}: {exc}") from exc
        return cls(
            predictor=predictor,
            output=TreeOutput(str(manifest["output"]), bool(manifest["float32_inputs"])),
            num_features=int(manifest["num_features"]),
        )

    def predict_proba(self, matrix: np.ndarray) -> np.ndarray:
        import tl2cgen

        data = tl2cgen.DMatrix(self.output.inputs(matrix), dtype="float64")
        raw = self.predictor.predict(data, pred_margin=self.output.margin)
        return self.output.probabilities(raw, matrix.shape[0])


@dataclass
class InterpretedTrees:
    """``predict_proba`` through Treelite's GTIL on the estimator imported at load."""

    model: Any
    output: TreeOutput
    num_features: int

    @classmethod
    def of(cls, estimator: Any) -> InterpretedTrees:
        """Import ``estimator`` into Treelite; TreesUnavailableError when it cannot be."""
        kind = type(estimator).__name__
        if kind not in contract.TREE_ENSEMBLES:
            raise TreesUnavailableError(f"{kind} is not a tree ensemble Treelite runs")
        import treelite

        try:
            model = treelite.sklearn.import_model(estimator)
        except (treelite.TreeliteError, NotImplementedError, ValueError, AttributeError) as exc:
            raise TreesUnavailableError(f"Treelite cannot import {kind}: {exc}") from exc
        output = TreeOutput.of(kind, len(estimator.classes_))
        return cls(model, output, int(estimator.n_features_in_))

    def predict_proba(self, matrix: np.ndarray) -> np.ndarray:
        import treelite

        raw = treelite.gtil.predict(
            self.model, self.output.inputs(matrix), nthread=1, pred_margin=self.output.margin
        )
        return self.output.probabilities(raw, matrix.shape[0])
