"""The committed gRPC code is what grpcio-tools generates from the committed .proto."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SOURCE_ROOT = ROOT / "services" / "model-server" / "src"


def test_generated_grpc_code_is_current(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen-grpc.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    generated = done.stdout.split()
    assert len(generated) == 3, done.stdout
    stale = [
        name
        for name in generated
        if (tmp_path / name).read_bytes() != (SOURCE_ROOT / name).read_bytes()
    ]
    assert not stale, f"regenerate with `python scripts/gen-grpc.py`: {stale} differ"
