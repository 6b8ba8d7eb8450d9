#!/usr/bin/env bash
# Build the four service images with the engine's default builder, on the bases that
# scripts/container-standins.sh resolved (upstream images, or local stand-ins where no registry
# answers), and report each build's time and each image's size.
#   IMAGE_REPO=ghcr.io/modelfleet IMAGE_TAG=dev scripts/container-images.sh [PUSH=1]
# Writes $IMAGES_FILE (IMAGE_REPO, IMAGE_TAG and one line per image) for the container tests.
# Images built on a stand-in base are labelled so and are never pushed.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVICES=(trainer model-server collector drift-monitor)
IMAGE_REPO="${IMAGE_REPO:-ghcr.io/modelfleet}"
IMAGE_TAG="${IMAGE_TAG:-$(git rev-parse --short HEAD 2>/dev/null || echo dev)}"
BASES_FILE="${BASES_FILE:-.tools/container-bases.env}"
IMAGES_FILE="${IMAGES_FILE:-.tools/container-images.env}"
PUSH="${PUSH:-}"

say() { echo "container-images: $*" >&2; }

if [ ! -f "$BASES_FILE" ]; then
  say "$BASES_FILE missing: run scripts/container-standins.sh (make images does)"
  exit 1
fi
# shellcheck disable=SC1090
. "$BASES_FILE"
standin_base=""
for base in "$PYTHON_IMAGE" "$UV_IMAGE"; do
  case "$base" in modelfleet-standin/*) standin_base=1 ;; esac
done
if [ -n "$PUSH" ] && [ -n "$standin_base" ]; then
  say "refusing to push: the images would be built on local stand-ins ($PYTHON_IMAGE, $UV_IMAGE)"
  exit 1
fi

report=()
for service in "${SERVICES[@]}"; do
  image="$IMAGE_REPO/$service:$IMAGE_TAG"
  previous="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
  start=$SECONDS
  say "building $image"
  docker build --quiet \
    --build-arg "PYTHON_IMAGE=$PYTHON_IMAGE" --build-arg "UV_IMAGE=$UV_IMAGE" \
    --label "org.modelfleet.base-image=$PYTHON_IMAGE" \
    --build-arg "SERVICE=$service" -f services/Dockerfile -t "$image" . >/dev/null
  seconds=$((SECONDS - start))
  # A rebuild under the same tag leaves the image it replaced untagged: remove that one (it
  # stays if something still uses it), never the builder stages that cache dependency layers.
  current="$(docker image inspect --format '{{.Id}}' "$image")"
  if [ -n "$previous" ] && [ "$previous" != "$current" ]; then
    docker rmi "$previous" >/dev/null 2>&1 || true
  fi
  size="$(docker image inspect --format '{{.Size}}' "$image")"
  report+=("$(printf '%-52s %6d MB %5ds' "$image" $((size / 1000000)) "$seconds")")
  if [ -n "$PUSH" ]; then docker push "$image"; fi
done

mkdir -p "$(dirname "$IMAGES_FILE")"
{
  echo "IMAGE_REPO=$IMAGE_REPO"
  echo "IMAGE_TAG=$IMAGE_TAG"
} > "$IMAGES_FILE"
say "image                                                  size    build"
printf '  %s\n' "${report[@]}" >&2
