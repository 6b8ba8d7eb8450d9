#!/usr/bin/env bash
# The base images the service images build on (Python, uv) and the upstream images the chart
# runs (PostgreSQL, MLflow), resolved for the local engine:
#   - the upstream image itself when the engine has it or can pull it;
#   - otherwise a local stand-in, built here from Debian's packages and PyPI, tagged
#     modelfleet-standin/<name>:<upstream tag> (never the upstream name, so nothing can mistake
#     it for the real image) and labelled with what it stands in for.
# Prints one NAME=image line per base and writes them to $BASES_FILE for `make images` and the
# container tests. A stand-in is rebuilt only when its recipe (its builder function below, its
# files in scripts/container-standins/, what it is built on) changed: the engine's image store
# is the cache between runs. MODELFLEET_FORCE_STANDINS=1 uses stand-ins even where the upstream
# registry answers.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

UV="${UV:-uv}"
BASES_FILE="${BASES_FILE:-.tools/container-bases.env}"
RECIPES=scripts/container-standins
PULL_TIMEOUT="${PULL_TIMEOUT:-120}"
SUITE=bookworm

say() { echo "container-standins: $*" >&2; }

arg_default() { sed -n "s/^ARG $1=//p" services/Dockerfile | head -n 1; }

chart_image() {  # chart_image postgresql -> repository:tag from the chart's values.yaml
  "$UV" run --frozen python -c '
import sys, yaml
values = yaml.safe_load(open("charts/modelfleet/values.yaml"))
image = values[sys.argv[1]]["image"]
print(image["repository"] + ":" + image["tag"])' "$1"
}

PYTHON_UPSTREAM="$(arg_default PYTHON_IMAGE)"
UV_UPSTREAM="$(arg_default UV_IMAGE)"
POSTGRES_UPSTREAM="$(chart_image postgresql)"
MLFLOW_UPSTREAM="$(chart_image mlflow)"

standin_tag() {  # ghcr.io/astral-sh/uv:0.13.9 -> modelfleet-standin/uv:0.13.9
  local ref="$1" name tag
  tag="${ref##*:}"
  name="${ref%:*}"
  echo "modelfleet-standin/${name##*/}:$tag"
}

# recipe_hash NAME [FILE...]: what a stand-in is made from -- its builder function, its files
# and the upstream reference -- so that changing any of them rebuilds it, and nothing else does.
recipe_hash() {
  local builder="$1"
  shift
  { declare -f "$builder"; cat "$@"; } | sha256sum | cut -c1-16
}

label_of() {
  docker image inspect --format "{{ index .Config.Labels \"org.modelfleet.standin.recipe\" }}" \
    "$1" 2>/dev/null || true
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

upstream_available() {
  [ "${MODELFLEET_FORCE_STANDINS:-}" = 1 ] && return 1
  have_image "$1" && return 0
  timeout "$PULL_TIMEOUT" docker pull --quiet "$1" >/dev/null 2>&1
}

# docker_build TAG RECIPE UPSTREAM CONTENTS CONTEXT [BUILD-ARG...]: a labelled stand-in build
docker_build() {
  local tag="$1" recipe="$2" upstream="$3" contents="$4" context="$5" args=() arg
  shift 5
  for arg in "$@"; do args+=(--build-arg "$arg"); done
  docker build --quiet "${args[@]}" \
    --label "org.modelfleet.standin-for=$upstream" \
    --label "org.modelfleet.standin.recipe=$recipe" \
    --label "org.modelfleet.standin.contents=$contents" \
    -t "$tag" "$context" >/dev/null
}

# standin UPSTREAM RECIPE BUILDER [ARGS...]: the stand-in's tag, built unless one of this recipe
# is already in the engine.
standin() {
  local upstream="$1" recipe="$2" builder="$3" tag start=$SECONDS
  shift 3
  tag="$(standin_tag "$upstream")"
  if [ "$(label_of "$tag")" = "$recipe" ]; then
    say "$tag: cached"
  else
    local previous
    previous="$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
    say "$upstream unreachable: building stand-in $tag"
    "$builder" "$tag" "$recipe" "$upstream" "$@"
    say "$tag: built in $((SECONDS - start))s"
    # The stand-in it replaces, unless images built on it still need it.
    [ -z "$previous" ] || docker rmi "$previous" >/dev/null 2>&1 || true
  fi
  echo "$tag"
}

# Builders: build_X TAG RECIPE UPSTREAM [ARGS...] builds the stand-in TAG, labelled with RECIPE.

build_debian() {  # Debian's minimal rootfs (mmdebstrap) imported as an image
  local tag="$1" recipe="$2" upstream="$3" tar log
  command -v mmdebstrap >/dev/null 2>&1 || {
    say "installing mmdebstrap (Debian package)"
    apt-cache show mmdebstrap >/dev/null 2>&1 || apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap \
      >/dev/null
  }
  tar="$(mktemp --suffix=.tar)"
  # merged-usr hook instead of the usrmerge package (which would pull perl into the base);
  # documentation and locales left out, as in Debian's -slim images.
  log="$(mktemp --suffix=.log)"
  if ! mmdebstrap --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    "$SUITE" "$tar" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    return 1
  fi
  rm -f "$log"
  docker import \
    --change 'CMD ["bash"]' \
    --change "LABEL org.modelfleet.standin-for=\"$upstream\"" \
    --change "LABEL org.modelfleet.standin.recipe=\"$recipe\"" \
    --change "LABEL org.modelfleet.standin.contents=\"Debian $SUITE minbase (mmdebstrap)\"" \
    "$tar" "$tag" >/dev/null
  rm -f "$tar"
}

build_uv() {  # the uv image: the binaries of PyPI's uv wheel at the pinned version
  local tag="$1" recipe="$2" upstream="$3" version work
  version="${upstream##*:}"
  work="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$work" "uv==$version" >&2
  python3 - "$work" <<'EOF_PY'
import pathlib, sys, zipfile
work = pathlib.Path(sys.argv[1])
(wheel,) = work.glob("uv-*.whl")
root = work / "root"
root.mkdir()
with zipfile.ZipFile(wheel) as archive:
    for member in archive.namelist():
        name = pathlib.PurePosixPath(member).name
        if ".data/scripts/" in member and name in {"uv", "uvx"}:
            target = root / name
            target.write_bytes(archive.read(member))
            target.chmod(0o755)
EOF_PY
  tar -C "$work/root" -cf "$work/uv.tar" uv uvx
  docker import \
    --change 'ENTRYPOINT ["/uv"]' \
    --change "LABEL org.modelfleet.standin-for=\"$upstream\"" \
    --change "LABEL org.modelfleet.standin.recipe=\"$recipe\"" \
    --change "LABEL org.modelfleet.standin.contents=\"uv $version from its PyPI wheel\"" \
    "$work/uv.tar" "$tag" >/dev/null
  rm -rf "$work"
}

build_python() {
  local tag="$1" recipe="$2" upstream="$3" debian work
  debian="$(debian_standin)"
  work="$(mktemp -d)"
  cp "$RECIPES/python.Dockerfile" "$work/Dockerfile"
  mkdir "$work/ca-certificates"
  # The machine's own additions to the trust store (e.g. a TLS-intercepting proxy's CA).
  [ "${#CA_FILES[@]}" -eq 0 ] || cp "${CA_FILES[@]}" "$work/ca-certificates/"
  docker_build "$tag" "$recipe" "$upstream" \
    "Debian $SUITE python3 with this machine's CA certificates" "$work" "DEBIAN_IMAGE=$debian"
  rm -rf "$work"
}

build_postgres() {
  local tag="$1" recipe="$2" upstream="$3" debian work
  debian="$(debian_standin)"
  work="$(mktemp -d)"
  cp "$RECIPES/postgres.Dockerfile" "$work/Dockerfile"
  install -m 0755 "$RECIPES/postgres-entrypoint.sh" "$work/"
  docker_build "$tag" "$recipe" "$upstream" \
    "Debian $SUITE postgresql-15 behind the official image's entrypoint interface" "$work" \
    "DEBIAN_IMAGE=$debian"
  rm -rf "$work"
}

build_mlflow() {
  local tag="$1" recipe="$2" upstream="$3" python="$4" uv="$5" version work
  version="${upstream##*:v}"
  version="${version%-full}"
  work="$(mktemp -d)"
  cp "$RECIPES/mlflow.Dockerfile" "$work/Dockerfile"
  docker_build "$tag" "$recipe" "$upstream" "PyPI mlflow[db]==$version, boto3, prometheus-flask-exporter" \
    "$work" "PYTHON_IMAGE=$python" "UV_IMAGE=$uv" "MLFLOW_VERSION=$version"
  rm -rf "$work"
}

DEBIAN_UPSTREAM="debian:$SUITE-slim"
DEBIAN_RECIPE="$(recipe_hash build_debian)"
debian_standin() { standin "$DEBIAN_UPSTREAM" "$DEBIAN_RECIPE" build_debian; }

CA_FILES=(/usr/local/share/ca-certificates/*.crt)
[ -e "${CA_FILES[0]}" ] || CA_FILES=()

# resolve UPSTREAM RECIPE BUILDER: the upstream image if the engine has or can pull it, else
# the stand-in.
resolve() {
  if upstream_available "$1"; then
    say "$1: upstream image"
    echo "$1"
  else
    standin "$@"
  fi
}

UV_RESOLVED="$(resolve "$UV_UPSTREAM" "$(recipe_hash build_uv <(echo "$UV_UPSTREAM"))" build_uv)"
PYTHON_RESOLVED="$(resolve "$PYTHON_UPSTREAM" \
  "$(recipe_hash build_python "$RECIPES/python.Dockerfile" "${CA_FILES[@]}" \
     <(echo "$PYTHON_UPSTREAM $DEBIAN_RECIPE"))" build_python)"
POSTGRES_RESOLVED="$(resolve "$POSTGRES_UPSTREAM" \
  "$(recipe_hash build_postgres "$RECIPES/postgres.Dockerfile" "$RECIPES/postgres-entrypoint.sh" \
     <(echo "$POSTGRES_UPSTREAM $DEBIAN_RECIPE"))" build_postgres)"
MLFLOW_RESOLVED="$(resolve "$MLFLOW_UPSTREAM" \
  "$(recipe_hash build_mlflow "$RECIPES/mlflow.Dockerfile" \
     <(echo "$MLFLOW_UPSTREAM $PYTHON_RESOLVED $(label_of "$PYTHON_RESOLVED") $UV_RESOLVED"))" \
  build_mlflow "$PYTHON_RESOLVED" "$UV_RESOLVED")"

mkdir -p "$(dirname "$BASES_FILE")"
{
  echo "PYTHON_IMAGE=$PYTHON_RESOLVED"
  echo "UV_IMAGE=$UV_RESOLVED"
  echo "POSTGRES_IMAGE=$POSTGRES_RESOLVED"
  echo "MLFLOW_IMAGE=$MLFLOW_RESOLVED"
} | tee "$BASES_FILE"
