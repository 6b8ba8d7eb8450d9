"""What the trainer logs with every model version, and where the other services find it.

The trainer writes these artifacts and tags; the model-server, collector and drift monitor read
them. Keeping the names in one place is what lets parts built at different times fit.
"""

from __future__ import annotations

import platform
import sys

MODEL_ARTIFACT_PATH = "model"
"""``mlflow.sklearn`` model (skops) with signature and input example, under the run's artifacts."""

REFERENCE_ARTIFACT = "reference/reference.parquet"
"""Sample of the training features (plus target and prediction), the drift monitor's baseline."""

FEATURE_IMPORTANCE_ARTIFACT = "feature_importance.json"
"""``{"method": "native"|"permutation", "importances": {column: value}}``."""

COMPILED_DIR = "compiled"
"""Tree ensembles only: ``manifest.json``, the Treelite checkpoint ``model.tl`` (what Triton's
FIL backend and other Treelite users load) and ``predictor-<platform>.so``, the compiled C
predictor the model-server runs; the manifest says what was compiled, or why nothing was."""

COMPILED_MANIFEST = f"{COMPILED_DIR}/manifest.json"


def platform_tag() -> str:
    """The platform a compiled predictor runs on, as its file is named (``linux-x86_64``)."""
    return f"{sys.platform}-{platform.machine()}"


FLOAT32_TREE_ENSEMBLES = frozenset(
    {"RandomForestClassifier", "ExtraTreesClassifier", "GradientBoostingClassifier"}
)
"""Ensembles of scikit-learn ``DecisionTree``s: they compare features rounded to float32."""

TREE_ENSEMBLES = FLOAT32_TREE_ENSEMBLES | {"HistGradientBoostingClassifier"}
"""The estimators whose trees Treelite runs for the model-server (compiled or interpreted)."""


def tree_output(estimator: str, n_classes: int) -> str:
    """How a Treelite model's output becomes ``predict_proba``: averaged leaf probabilities
    (``probabilities``, forests) or summed margins through a sigmoid or a softmax (boosting)."""
    if estimator in ("RandomForestClassifier", "ExtraTreesClassifier"):
        return "probabilities"
    return "margin_sigmoid" if n_classes == 2 else "margin_softmax"


CONFUSION_MATRIX_ARTIFACT = "confusion_matrix.png"
FEATURE_IMPORTANCE_PLOT = "feature_importance.png"

TAG_CANDIDATE = "candidate"
"""Model-version tag set to ``"true"`` on every newly registered version."""

TAG_DATASET_DIGEST = "modelfleet.dataset_digest"
TAG_DATASET_NAME = "modelfleet.dataset_name"
TAG_TARGET = "modelfleet.target"
TAG_ID_COLUMNS = "modelfleet.id_columns"
TAG_CODE_VERSION = "modelfleet.code_version"
TAG_MODEL_TYPE = "modelfleet.model_type"
TAG_PROMOTION_REASON = "modelfleet.promotion_reason"

CHAMPION_ALIAS = "champion"
CHALLENGER_ALIAS = "challenger"
