#!/usr/bin/env python3
"""Generate the model-server's gRPC code from its .proto with grpcio-tools (a dev dependency).

The generated modules are committed so that the runtime image needs only ``grpcio`` and
``protobuf`` and the code is there to read, type-check and import without a build step;
tests/model_server/test_grpc_codegen.py regenerates into a temporary directory and fails when the
committed files differ. Run after editing the .proto:

    uv run --frozen python scripts/gen-grpc.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOT = ROOT / "services" / "model-server" / "src"
PROTO = Path("modelfleet/model_server/protocols/proto/open_inference.proto")
"""Relative to the source root, so the generated imports are absolute package imports."""


def generate(out: Path) -> list[Path]:
    """Write ``*_pb2.py``, ``*_pb2.pyi`` and ``*_pb2_grpc.py`` under ``out``; their paths."""
    target = out / PROTO.parent
    target.mkdir(parents=True, exist_ok=True)
    status = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{SOURCE_ROOT}",
            f"--python_out={out}",
            f"--pyi_out={out}",
            f"--grpc_python_out={out}",
            str(SOURCE_ROOT / PROTO),
        ]
    )
    if status != 0:
        raise SystemExit(f"protoc failed with status {status}")
    stem = PROTO.stem
    return [target / f"{stem}_pb2.py", target / f"{stem}_pb2.pyi", target / f"{stem}_pb2_grpc.py"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SOURCE_ROOT, help="output source root")
    args = parser.parse_args(argv)
    for path in generate(args.out):
        print(path.relative_to(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
