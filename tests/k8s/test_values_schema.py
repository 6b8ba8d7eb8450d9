"""values.schema.json is generated from the annotations of values.yaml (scripts/chart-schema.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from .conftest import CHART, ROOT, run

pytestmark = pytest.mark.k8s

SCRIPT = ROOT / "scripts" / "chart-schema.py"


@pytest.fixture(scope="module")
def generator() -> Iterator[ModuleType]:
    """scripts/chart-schema.py as a module (its file name is not an importable name)."""
    spec = importlib.util.spec_from_file_location("chart_schema", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def schema_of(generator: ModuleType, text: str) -> dict[str, Any]:
    schema: dict[str, Any] = generator.build(yaml.safe_load(text), generator.parse(text))
    return schema


def test_committed_schema_is_the_generated_one(tmp_path: Path) -> None:
    fresh = tmp_path / "values.schema.json"
    subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(fresh)], check=True, capture_output=True
    )
    committed = (CHART / "values.schema.json").read_text()
    assert fresh.read_text() == committed, "values.schema.json is stale: run `make k8s-manifests`"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["image.pullPolicy=Sometimes"], "at '/image/pullPolicy': value must be one of"),
        (["image.registry=null"], "at '/image': missing property 'registry'"),
        (["nameOverride=" + "n" * 41], "at '/nameOverride': maxLength"),
        (["postgresql.auth.password=p@ss"], "at '/postgresql/auth/password': 'p@ss' does not"),
        (["networkPolicy.kubeApiServerPorts[0]=70000"], "kubeApiServerPorts/0': maximum"),
        (["modelServer.autoscaling.targetCPUUtilizationPercentage=0"], "Percentage': minimum"),
        (["podSecurityContext.runAsNonRoot=false"], "runAsNonRoot': value must be true"),
        (["podSecurityContext.runAsUserr=1"], "'runAsUserr' not allowed"),
        (["tmpVolume.sizeLimit=lots"], "at '/tmpVolume/sizeLimit': 'anyOf' failed"),
        (["commonLabels.team=true"], "at '/commonLabels/team': got boolean, want string"),
        (["config.extraEnv.bad-name=1"], "invalid propertyName 'bad-name'"),
        (["trainer.extraEnv[0].value=x"], "at '/trainer/extraEnv/0': missing property 'name'"),
        (
            ["modelServers[0].model=m", "modelServers[0].version=1", "modelServers[0].alias=a"],
            "at '/modelServers/0': 'oneOf' failed",
        ),
        (
            ["modelServers[0].model=m", "modelServers[0].version=1", "modelServers[0].name=A_B"],
            "at '/modelServers/0/name'",
        ),
        (
            ["modelServers[0].model=m", "modelServers[0].alias=a",
             "modelServers[0].extraEnv[0].x=1"],
            "at '/modelServers/0/extraEnv/0': missing property 'name'",
        ),
        (
            ["modelServers[0].model=m", "modelServers[0].alias=a",
             "modelServers[0].pdb.minAvailable=half"],
            "at '/modelServers/0/pdb/minAvailable'",
        ),
    ],
)  # fmt: skip
def test_each_kind_of_constraint_rejects_bad_values(
    helm: str, values: list[str], message: str
) -> None:
    cmd = [helm, "template", "f", str(CHART)]
    for value in values:
        cmd += ["--set", value]
    result = run(cmd, check=False)
    assert result.returncode != 0, f"{values} was accepted"
    assert message in result.stderr, result.stderr


def test_model_server_entries_override_the_defaults_key_by_key(helm: str) -> None:
    """An entry sets only what differs: no part of `modelServer` is required in it."""
    run(
        [
            helm, "template", "f", str(CHART),
            "--set", "modelServers[0].model=m", "--set", "modelServers[0].version=1",
            "--set", "modelServers[0].resources.limits.cpu=2",
            "--set", "modelServers[0].batch.enabled=true",
            "--set", "modelServers[0].batch.input=/in.csv",
            "--set", "modelServers[0].batch.output=/out.parquet",
        ]
    )  # fmt: skip


def test_types_come_from_defaults_and_undocumented_objects_are_closed(
    generator: ModuleType,
) -> None:
    schema = schema_of(
        generator,
        """
a:
  ## @param a.text A text
  text: ""
  ## @param a.count A count
  count: 3
  ## @param a.ports Ports
  ports: [80, 443]
  ## @param a.peers Peers
  peers: []
  ## @param a.map A map
  map: {x: 1}
""",
    )
    a = schema["properties"]["a"]
    assert a["additionalProperties"] is False
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"global", "a"}
    props = a["properties"]
    assert props["text"] == {"description": "A text", "type": "string"}
    assert props["count"]["type"] == "integer"
    assert props["ports"]["items"] == {"type": "integer"}
    assert "items" not in props["peers"]
    assert props["map"] == {"description": "A map", "type": "object"}, "a documented map is open"


def test_fragments_merge_use_definitions_and_require_keys(generator: ModuleType) -> None:
    schema = schema_of(
        generator,
        """
## @schemaDef port {type: integer,
##     minimum: 1, maximum: 65535}
s:
  ## @param s.ports Ports
  ## @schema {minItems: 1, items: {$use: port}}
  ports: [443]
  ## @param s.size Size
  ## @schema {anyOf: [{type: string, pattern: '^[0-9]+Gi$'}, {type: number}], $required: true}
  size: 1Gi
  ## @param s.tag Tag
  ## @schema {type: [string, number]}
  tag: ""
""",
    )
    s = schema["properties"]["s"]
    assert s["required"] == ["size"]
    ports = s["properties"]["ports"]
    assert ports["minItems"] == 1
    assert ports["items"] == {"type": "integer", "minimum": 1, "maximum": 65535}
    size = s["properties"]["size"]
    assert "type" not in size, "anyOf replaces the inferred type"
    assert size["anyOf"][0]["pattern"] == "^[0-9]+Gi$", "single quotes keep backslash-free text"
    assert s["properties"]["tag"]["type"] == ["string", "number"]


def test_overrides_drop_required_keys_but_keep_list_items_whole(generator: ModuleType) -> None:
    schema = schema_of(
        generator,
        """
defaults:
  ## @param defaults.resources Resources
  ## @schema {$required: true, required: [limits], properties: {limits: {type: object}}}
  resources: {limits: {}}
  ## @param defaults.env Env
  ## @schema {items: {type: object, required: [name]}}
  env: []
## @param entries Entries
## @schema {items: {$overrides: defaults, required: [model], properties: {model: {type: string}}}}
entries: []
""",
    )
    defaults = schema["properties"]["defaults"]
    item = schema["properties"]["entries"]["items"]
    assert defaults["required"] == ["resources"]
    assert item["required"] == ["model"]
    assert item["additionalProperties"] is False
    assert set(item["properties"]) == {"resources", "env", "model"}
    assert "required" not in item["properties"]["resources"]
    assert "description" not in item["properties"]["resources"]
    assert item["properties"]["env"]["items"]["required"] == ["name"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("## @schema {minimum: 1}\na: 1\n", "values.yaml:1: `## @schema` before any `## @param`"),
        (
            "## @param a A\n## @schema {$use: nothing}\na: 1\n",
            "a: `$use: nothing`: no `## @schemaDef",
        ),
        (
            "## @param a A\n## @schema {items: {$overrides: b}}\na: []\n",
            "`$overrides: b`: no such object in values.yaml",
        ),
        ("## @param a A\n## @schema [1, 2]\na: 1\n", "values.yaml:2: expected a mapping"),
        ("## @param a A\n## @schema {a: [}\na: 1\n", "values.yaml:2: not a YAML flow mapping"),
        (
            "## @param a A\n## @schema {minimum: 1}\n## @schema {maximum: 2}\na: 1\n",
            "values.yaml:3: a second `## @schema` for a",
        ),
        (
            "## @param a A\n## @schema {items: {$required: true}}\na: []\n",
            "/properties/a/items: $required is only allowed where documented",
        ),
        (
            "## @param a A\n## @param a.b B\na: {b: 1}\n",
            "a.b: documented, and so is an object above it",
        ),
    ],
)
def test_annotation_mistakes_are_reported(generator: ModuleType, text: str, message: str) -> None:
    with pytest.raises(generator.AnnotationError) as raised:
        schema_of(generator, text)
    assert message in str(raised.value)
