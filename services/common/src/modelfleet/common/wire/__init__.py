"""Wire formats between services, one module per contract area, all importable from here.

- :mod:`.traffic`: prediction logs (model-server → collector), labels, the traffic-source
  vocabulary and the entity-id limit;
- :mod:`.serving`: a model-server's ``/v1/predict`` and ``/v1/model``;
- :mod:`.training`: the trainer's jobs (CLI, drift monitor → trainer);
- :mod:`.promotion`: the trainer's promotions;
- :mod:`.datasets`: the trainer's dataset catalog (drift monitor uploads);
- :mod:`.evaluations`: the states of a golden-set evaluation.

Only pydantic here: every service, the model-server included, can import it.
"""

from modelfleet.common.wire.datasets import DATASET_NAME_PATTERN, DatasetMeta, DatasetOut
from modelfleet.common.wire.evaluations import (
    EVALUATION_DONE,
    EVALUATION_FAILED,
    EVALUATION_RUNNING,
    EVALUATION_STATUSES,
    EvaluationStatus,
)
from modelfleet.common.wire.promotion import RANKING_METRICS, PromotionRequest, PromotionResult
from modelfleet.common.wire.serving import (
    ExecutionInfo,
    InputColumn,
    ModelInfo,
    PredictRequest,
    PredictResponse,
    RowPrediction,
)
from modelfleet.common.wire.traffic import (
    BATCH,
    EVALUATION,
    MAX_CLASS_LABEL,
    MAX_ENTITY_ID,
    ONLINE,
    PREDICTION_SOURCES,
    SOURCE_HEADER,
    LabelBatch,
    LabelIn,
    PredictionLog,
    PredictionLogBatch,
    PredictionSource,
)
from modelfleet.common.wire.training import (
    JOB_FAILED,
    JOB_QUEUED,
    JOB_RUNNING,
    JOB_STATUSES,
    JOB_SUCCEEDED,
    JobAccepted,
    JobOut,
    JobStatus,
    TrainRequest,
)

__all__ = [
    "BATCH",
    "DATASET_NAME_PATTERN",
    "EVALUATION",
    "EVALUATION_DONE",
    "EVALUATION_FAILED",
    "EVALUATION_RUNNING",
    "EVALUATION_STATUSES",
    "JOB_FAILED",
    "JOB_QUEUED",
    "JOB_RUNNING",
    "JOB_STATUSES",
    "JOB_SUCCEEDED",
    "MAX_CLASS_LABEL",
    "MAX_ENTITY_ID",
    "ONLINE",
    "PREDICTION_SOURCES",
    "RANKING_METRICS",
    "SOURCE_HEADER",
    "DatasetMeta",
    "DatasetOut",
    "EvaluationStatus",
    "ExecutionInfo",
    "InputColumn",
    "JobAccepted",
    "JobOut",
    "JobStatus",
    "LabelBatch",
    "LabelIn",
    "ModelInfo",
    "PredictRequest",
    "PredictResponse",
    "PredictionLog",
    "PredictionLogBatch",
    "PredictionSource",
    "PromotionRequest",
    "PromotionResult",
    "RowPrediction",
    "TrainRequest",
]
