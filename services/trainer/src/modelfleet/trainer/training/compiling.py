"""Export a fitted tree ensemble as a Treelite checkpoint and a compiled C predictor.

The model-server's fast path for tree ensembles (see ``modelfleet.model_server.execution``):
scikit-learn spends most of a small call in validation and per-tree thread start-up, while the
compiled predictor walks the same trees in straight-line C: about 18 times faster for one row
and 4 to 5 times for 100 on the gaming model (``benchmarks/bench_model_server.py``). It is
compiled here, once per version, so model-server images need no C compiler; the checkpoint is
also what Triton's FIL backend serves. Which comparisons the trees make (float32 for
``DecisionTree``-based ensembles, float64 for HistGradientBoosting) and how margins become
probabilities go into the manifest, so the server reproduces scikit-learn exactly.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from modelfleet.common import model_contract as contract

logger = logging.getLogger(__name__)

MAX_NODES = 200_000
"""Larger ensembles are not compiled: gcc's time grows with the generated code (4,500 nodes take
~6 s; a 200-tree random forest of 2 million nodes takes over ten minutes)."""


def export_predictor(estimator: Any, out: Path, *, max_nodes: int = MAX_NODES) -> dict[str, Any]:
    """Write ``manifest.json`` (+ checkpoint and library when possible) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    kind = type(estimator).__name__
    manifest: dict[str, Any] = {"format": 1, "estimator": kind, "compiled": False}
    try:
        manifest.update(_compile(estimator, out, max_nodes))
    except _NotCompiledError as skipped:
        manifest["reason"] = str(skipped)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    logger.info(
        "compiled predictor: %s",
        "built" if manifest["compiled"] else manifest["reason"],
        extra={"estimator": kind},
    )
    return manifest


class _NotCompiledError(Exception):
    """Why no compiled predictor was built (recorded in the manifest, never an error)."""


def _compile(estimator: Any, out: Path, max_nodes: int) -> dict[str, Any]:
    kind = type(estimator).__name__
    if kind not in contract.TREE_ENSEMBLES:
        raise _NotCompiledError(f"{kind} is not a tree ensemble Treelite compiles")
    compiler = shutil.which("gcc")
    if compiler is None:
        raise _NotCompiledError("no C compiler (gcc) where the model was trained")
    import tl2cgen
    import treelite

    nodes = node_count(estimator)
    if nodes > max_nodes:
        raise _NotCompiledError(f"{nodes:,} tree nodes, over the compile limit of {max_nodes:,}")
    try:
        model = treelite.sklearn.import_model(estimator)
    except (treelite.TreeliteError, NotImplementedError, ValueError, AttributeError) as exc:
        raise _NotCompiledError(f"Treelite cannot import {kind}: {exc}") from exc
    model.serialize(str(out / "model.tl"))
    library = f"predictor-{contract.platform_tag()}.so"
    started = time.perf_counter()
    tl2cgen.export_lib(
        model, toolchain="gcc", libpath=str(out / library), params={"parallel_comp": 8}
    )
    n_classes = len(estimator.classes_)
    return {
        "compiled": True,
        "checkpoint": "model.tl",
        "libraries": {contract.platform_tag(): library},
        "num_features": int(estimator.n_features_in_),
        "classes": [str(c) for c in estimator.classes_],
        "output": contract.tree_output(kind, n_classes),
        "float32_inputs": kind in contract.FLOAT32_TREE_ENSEMBLES,
        "nodes": nodes,
        "compile_seconds": round(time.perf_counter() - started, 2),
        "treelite": package_version("treelite"),
        "tl2cgen": package_version("tl2cgen"),
    }


def node_count(estimator: Any) -> int:
    """Tree nodes of a scikit-learn tree ensemble (what gcc's compile time grows with)."""
    if hasattr(estimator, "_predictors"):  # HistGradientBoosting: one predictor per class/iter
        return sum(len(p.nodes) for stage in estimator._predictors for p in stage)
    trees = getattr(estimator, "estimators_", [])
    flat = trees.ravel() if hasattr(trees, "ravel") else trees  # GradientBoosting: 2-D array
    return sum(int(tree.tree_.node_count) for tree in flat)
