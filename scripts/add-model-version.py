#!/usr/bin/env python3
"""Serve one more model version in a running release, or stop serving one: `make add-model-version`.

Reads the release's values (`helm get values`), adds (or with --remove, drops) one entry of
`modelServers`, and runs `helm upgrade --reuse-values --set-json modelServers=[...]`: every other
value and every other model server stays as it is, so only the added Deployment starts (or only
the removed one stops).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def same_reference(
    entry: dict[str, Any], model: str, version: str | None, alias: str | None
) -> bool:
    if entry.get("model") != model:
        return False
    if version is not None:
        return str(entry.get("version", "")) == version
    return str(entry.get("alias", "")) == alias


def updated_servers(
    current: list[dict[str, Any]],
    model: str,
    version: str | None,
    alias: str | None,
    *,
    remove: bool = False,
    replicas: int | None = None,
) -> list[dict[str, Any]]:
    """The new modelServers list; unchanged (same list) when there is nothing to do."""
    present = [e for e in current if same_reference(e, model, version, alias)]
    if remove:
        return [e for e in current if not same_reference(e, model, version, alias)]
    if present:
        return current
    entry: dict[str, Any] = {"model": model}
    if version is not None:
        entry["version"] = version
    else:
        entry["alias"] = alias
    if replicas is not None:
        entry["replicas"] = replicas
    return [*current, entry]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--helm", default=str(ROOT / ".tools" / "bin" / "helm"))
    parser.add_argument("--release", default="modelfleet")
    parser.add_argument("--namespace", default="modelfleet")
    parser.add_argument("--chart", default=str(ROOT / "charts" / "modelfleet"))
    parser.add_argument("--model", required=True, help="registered model name")
    ref = parser.add_mutually_exclusive_group(required=True)
    ref.add_argument("--version", help="registered model version")
    ref.add_argument("--alias", help="registered model alias, e.g. challenger")
    parser.add_argument("--replicas", type=int)
    parser.add_argument("--remove", action="store_true", help="stop serving this version")
    parser.add_argument("--dry-run", action="store_true", help="print the helm command only")
    args = parser.parse_args(argv)

    got = subprocess.run(
        [
            args.helm,
            "get",
            "values",
            args.release,
            "--namespace",
            args.namespace,
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    if got.returncode != 0:
        print(f"cannot read release {args.release!r}: {got.stderr.strip()}", file=sys.stderr)
        return 1
    values = json.loads(got.stdout or "{}") or {}
    current = values.get("modelServers") or []
    servers = updated_servers(
        current, args.model, args.version, args.alias, remove=args.remove, replicas=args.replicas
    )
    what = (
        f"{args.model} {'version ' + args.version if args.version else 'alias ' + str(args.alias)}"
    )
    if servers == current:
        state = "is not served" if args.remove else "is already served"
        print(f"{what} {state} by release {args.release}: nothing to do")
        return 0
    cmd = [
        args.helm, "upgrade", args.release, args.chart,
        "--namespace", args.namespace, "--reuse-values",
        "--set-json", f"modelServers={json.dumps(servers, separators=(',', ':'))}",
        "--wait", "--timeout", "10m",
    ]  # fmt: skip
    print(("would run: " if args.dry_run else "") + shlex.join(cmd))
    if args.dry_run:
        return 0
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
