"""analyst views

The views are part of the product: analysts query them in psql (examples in the README).
The SQL is written to run unchanged on PostgreSQL and SQLite.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _overall(metric: str) -> str:
    return (
        f"MAX(CASE WHEN m.metric = '{metric}' AND m.class_label IS NULL THEN m.value END)"
        f" AS {metric}"
    )


def _per_class(metric: str) -> str:
    return f"MAX(CASE WHEN m.metric = '{metric}' THEN m.value END) AS {metric}"


VIEWS = {
    # One row per evaluation with its overall metrics.
    "v_evaluation_summary": f"""
        SELECT e.id AS evaluation_id, e.model_name, e.model_version, e.golden_name,
               e.golden_digest, e.status, e.rows_total, e.rows_scored, e.rows_skipped,
               {_overall("accuracy")}, {_overall("precision_macro")}, {_overall("recall_macro")},
               {_overall("f1_macro")}, {_overall("f1_weighted")},
               e.started_at, e.finished_at
        FROM evaluations e
        LEFT JOIN evaluation_metrics m ON m.evaluation_id = e.id
        GROUP BY e.id, e.model_name, e.model_version, e.golden_name, e.golden_digest, e.status,
                 e.rows_total, e.rows_scored, e.rows_skipped, e.started_at, e.finished_at
    """,
    # One row per (evaluation, class) with precision, recall, F1, support and confusion counts.
    "v_class_metrics": f"""
        SELECT e.id AS evaluation_id, e.model_name, e.model_version, e.golden_name,
               m.class_label, {_per_class("precision")}, {_per_class("recall")},
               {_per_class("f1")}, {_per_class("support")}, {_per_class("true_positives")},
               {_per_class("false_positives")}, {_per_class("false_negatives")}
        FROM evaluations e
        JOIN evaluation_metrics m ON m.evaluation_id = e.id AND m.class_label IS NOT NULL
        WHERE e.status = 'done'
        GROUP BY e.id, e.model_name, e.model_version, e.golden_name, m.class_label
    """,
    # Online predictions with their ground truth: the label given for the prediction itself,
    # else the latest label observed for its entity id.
    "v_labelled_predictions": """
        SELECT p.id AS prediction_id, p.model_name, p.model_version, p.entity_id,
               p.prediction, p.created_at,
               COALESCE(
                   (SELECT l.label FROM labels l WHERE l.prediction_id = p.id
                    ORDER BY l.observed_at DESC LIMIT 1),
                   (SELECT l.label FROM labels l
                    WHERE l.prediction_id IS NULL AND l.entity_id = p.entity_id
                    ORDER BY l.observed_at DESC LIMIT 1)
               ) AS label
        FROM predictions p
        WHERE p.source = 'online'
    """,
    # Accuracy of online predictions by model version and day, over rows that have a label.
    "v_online_accuracy": """
        SELECT model_name, model_version, DATE(created_at) AS day,
               COUNT(*) AS predictions, COUNT(label) AS labelled,
               SUM(CASE WHEN label = prediction THEN 1 ELSE 0 END) AS correct,
               CAST(SUM(CASE WHEN label = prediction THEN 1 ELSE 0 END) AS FLOAT)
                   / NULLIF(COUNT(label), 0) AS accuracy
        FROM v_labelled_predictions
        GROUP BY model_name, model_version, DATE(created_at)
    """,
    # Traffic by day, model version and source, with latency.
    "v_traffic_daily": """
        SELECT DATE(created_at) AS day, model_name, model_version, source,
               COUNT(*) AS predictions, COUNT(DISTINCT request_id) AS requests,
               AVG(latency_ms) AS avg_latency_ms, MAX(latency_ms) AS max_latency_ms
        FROM predictions
        GROUP BY DATE(created_at), model_name, model_version, source
    """,
}


def upgrade() -> None:
    for name, sql in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {sql}")


def downgrade() -> None:
    for name in reversed(list(VIEWS)):
        op.execute(f"DROP VIEW IF EXISTS {name}")
