# Stand-in for ghcr.io/mlflow/mlflow:v<version>-full, for machines that cannot reach ghcr.io:
# PyPI's mlflow at the same version with its database drivers (the `db` extra: psycopg and
# psycopg2 for PostgreSQL, as the -full image has them), boto3 for S3 artifacts and
# prometheus-flask-exporter for --expose-prometheus (both in the -full image), `mlflow` on
# PATH, no entrypoint, running as whatever user the pod sets.
ARG PYTHON_IMAGE=modelfleet-standin/python:3.11.14-slim-bookworm
ARG UV_IMAGE=modelfleet-standin/uv:0.13.9
FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS builder
ARG MLFLOW_VERSION
COPY --from=uv /uv /usr/local/bin/uv
RUN test -n "$MLFLOW_VERSION" \
    && uv venv --python /usr/local/bin/python3.11 /opt/mlflow \
    && VIRTUAL_ENV=/opt/mlflow uv pip install --no-cache --compile-bytecode \
       "mlflow[db]==${MLFLOW_VERSION}" "boto3==1.44.5" "prometheus-flask-exporter==0.23.2"

FROM ${PYTHON_IMAGE}
COPY --from=builder /opt/mlflow /opt/mlflow
ENV PATH="/opt/mlflow/bin:$PATH" \
    PYTHONUNBUFFERED=1
EXPOSE 5000
CMD ["mlflow", "server", "--host", "0.0.0.0"]
