#!/usr/bin/env python3
"""Write charts/modelfleet/README.md: the values reference, from the `## @section` and
`## @param` comments of values.yaml (Bitnami readme-generator style). Part of `make k8s-manifests`;
tests/k8s checks it is up to date.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "charts" / "modelfleet"

INTRO = """# modelfleet Helm chart

The whole modelfleet fleet: PostgreSQL (or an external database), the MLflow tracking server and
registry, trainer, prediction collector (+ evaluation CronJob), drift monitor (+ CronJob), and one
model-server Deployment and Service per entry of `modelServers`.

```bash
helm install modelfleet charts/modelfleet --namespace modelfleet --create-namespace \\
  --set image.registry=registry.example.com/modelfleet --set image.tag=0.1.0
make add-model-version MODEL=online-gaming VERSION=1
```

The guide (install to a prediction, adding versions, k8s/, skaffold) is docs/kubernetes.md.
This file is generated from values.yaml by `make k8s-manifests`: edit values.yaml, not this file.

## Parameters
"""


def lookup(values: dict[str, Any], key: str) -> Any:
    node: Any = values
    for part in key.split("."):
        node = node[part]
    return node


def render() -> str:
    text = (CHART / "values.yaml").read_text()
    values = yaml.safe_load(text)
    out = [INTRO]
    in_table = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("## @section "):
            out.append(f"\n### {stripped.removeprefix('## @section ')}\n")
            in_table = False
        elif stripped.startswith("## @param "):
            _, _, key, *words = stripped.split(" ")
            if not in_table:
                out.append("| Name | Description | Default |\n|---|---|---|")
                in_table = True
            default = json.dumps(lookup(values, key), separators=(", ", ": "))
            description = " ".join(words).replace("|", "\\|")
            out.append(f"| `{key}` | {description} | `{default}` |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=CHART / "README.md")
    args = parser.parse_args(argv)
    args.output.write_text(render())
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
