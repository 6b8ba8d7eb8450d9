"""The scikit-learn Pipeline the trainer fits: impute, scale, one-hot, classifier by name."""

from __future__ import annotations

from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from modelfleet.common.errors import BadRequestError

MODEL_TYPES: dict[str, type] = {
    "hgb": HistGradientBoostingClassifier,
    "gbm": GradientBoostingClassifier,
    "rf": RandomForestClassifier,
    "logreg": LogisticRegression,
}
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "hgb": {"max_iter": 200, "learning_rate": 0.1},
    "gbm": {"n_estimators": 100},
    "rf": {"n_estimators": 200, "n_jobs": -1, "min_samples_leaf": 2},
    "logreg": {"max_iter": 1000},
}


def make_classifier(model_type: str, params: dict[str, Any], seed: int) -> Any:
    """The estimator for ``model_type`` with defaults overridden by ``params`` (validated)."""
    if model_type not in MODEL_TYPES:
        raise BadRequestError(
            f"unknown model type {model_type!r}; choose one of {', '.join(MODEL_TYPES)}"
        )
    cls = MODEL_TYPES[model_type]
    valid = set(cls().get_params())
    unknown = sorted(set(params) - valid)
    if unknown:
        raise BadRequestError(
            f"unknown parameter(s) {', '.join(unknown)} for model type {model_type!r}"
        )
    merged = {**DEFAULT_PARAMS[model_type], **params}
    if "random_state" in valid:
        merged.setdefault("random_state", seed)
    try:
        estimator = cls(**merged)
        estimator._validate_params()
    except (TypeError, ValueError) as exc:
        raise BadRequestError(f"invalid parameter for {model_type!r}: {exc}") from exc
    return estimator


def build_pipeline(
    model_type: str,
    params: dict[str, Any],
    numeric: list[str],
    categorical: list[str],
    seed: int = 42,
) -> Pipeline:
    """Preprocessing plus classifier; unknown categories at predict time are ignored."""
    transformers = []
    if numeric:
        transformers.append(
            (
                "numeric",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median")),
                        ("scale", StandardScaler()),
                    ]
                ),
                numeric,
            )
        )
    if categorical:
        transformers.append(
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                categorical,
            )
        )
    preprocess = ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)
    return Pipeline(
        [("preprocess", preprocess), ("classifier", make_classifier(model_type, params, seed))]
    )
