#!/usr/bin/env python3
"""Write charts/modelfleet/values.schema.json from the annotations of values.yaml.

Each `## @param` key gets a type from its default value and the JSON-Schema keywords of the
`## @schema` fragment below it; every object of values.yaml without a `## @param` of its own is
closed (additionalProperties: false). The syntax is documented at the top of values.yaml. Part of
`make k8s-manifests`; tests/k8s checks that the committed schema is the generated one.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "charts" / "modelfleet"
ANNOTATION = re.compile(r"## @(schemaDef|schema)\b\s*(.*)")
CONTINUATION = re.compile(r"##\s{3,}\S")
JSON_TYPES: dict[type, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
    type(None): "null",
}
Schema = dict[str, Any]


class AnnotationError(ValueError):
    """A `## @schema`/`## @schemaDef` annotation that cannot be used, with its line number."""


@dataclass
class Annotations:
    """What values.yaml says: documented keys in file order, their fragments, the definitions."""

    params: dict[str, str] = field(default_factory=dict)
    fragments: dict[str, Schema] = field(default_factory=dict)
    definitions: dict[str, Schema] = field(default_factory=dict)


def parse(text: str) -> Annotations:
    """Read the `## @param`, `## @schema` and `## @schemaDef` lines (fragments may continue)."""
    found = Annotations()
    lines = [line.strip() for line in text.splitlines()]
    last_param: str | None = None
    number = 0
    while number < len(lines):
        line, start = lines[number], number + 1
        number += 1
        if line.startswith("## @param "):
            _, _, key, *words = line.split(" ")
            found.params[key] = " ".join(words)
            last_param = key
            continue
        match = ANNOTATION.match(line)
        if match is None:
            continue
        tag, body = match.groups()
        while number < len(lines) and CONTINUATION.match(lines[number]):
            body += " " + lines[number].removeprefix("##").strip()
            number += 1
        if tag == "schemaDef":
            name, _, body = body.partition(" ")
            found.definitions[name] = load_fragment(body, start)
        elif last_param is None:
            raise AnnotationError(f"values.yaml:{start}: `## @schema` before any `## @param`")
        elif last_param in found.fragments:
            raise AnnotationError(f"values.yaml:{start}: a second `## @schema` for {last_param}")
        else:
            found.fragments[last_param] = load_fragment(body, start)
    return found


def load_fragment(body: str, line: int) -> Schema:
    try:
        fragment = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        raise AnnotationError(f"values.yaml:{line}: not a YAML flow mapping: {exc}") from exc
    if not isinstance(fragment, dict):
        raise AnnotationError(f"values.yaml:{line}: expected a mapping {{...}}, got {body!r}")
    return fragment


def infer(value: Any) -> Schema:
    """The type of a default value; a list's items are typed when all have the same type."""
    node: Schema = {"type": JSON_TYPES[type(value)]}
    if isinstance(value, list):
        item_types = {JSON_TYPES[type(item)] for item in value}
        if len(item_types) == 1:
            node["items"] = {"type": item_types.pop()}
    return node


def merge(base: Schema, extra: Schema) -> Schema:
    """``extra`` deep-merged onto ``base``; an `anyOf` in ``extra`` replaces ``base``'s type."""
    out = copy.deepcopy(base)
    if "anyOf" in extra and "type" not in extra:
        out.pop("type", None)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def use_definitions(node: Any, definitions: dict[str, Schema]) -> Any:
    """Every `$use: name` in ``node`` replaced by that definition merged with its siblings."""
    if isinstance(node, list):
        return [use_definitions(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    resolved = {key: use_definitions(value, definitions) for key, value in node.items()}
    name = resolved.pop("$use", None)
    if name is None:
        return resolved
    if name not in definitions:
        raise AnnotationError(f"`$use: {name}`: no `## @schemaDef {name}`")
    return merge(use_definitions(definitions[name], definitions), resolved)


def without_defaults_rules(node: Schema) -> Schema:
    """``node`` with no key of its objects required and no descriptions, for entries that
    override those defaults key by key; what lies under `items` stays whole (a list replaces)."""
    out = {key: value for key, value in node.items() if key not in ("required", "description")}
    if "properties" in node:
        out["properties"] = {
            name: without_defaults_rules(sub) for name, sub in node["properties"].items()
        }
    return out


def use_overrides(node: Any, root: Schema) -> Any:
    """Every `$overrides: key` replaced by the schema of ``key`` without its defaults' rules."""
    if isinstance(node, list):
        return [use_overrides(item, root) for item in node]
    if not isinstance(node, dict):
        return node
    resolved = {key: use_overrides(value, root) for key, value in node.items()}
    key = resolved.pop("$overrides", None)
    if key is None:
        return resolved
    target = root
    for part in key.split("."):
        if part not in target.get("properties", {}):
            raise AnnotationError(f"`$overrides: {key}`: no such object in values.yaml")
        target = target["properties"][part]
    return merge(without_defaults_rules(target), resolved)


def lookup(values: dict[str, Any], key: str) -> Any:
    node: Any = values
    for part in key.split("."):
        node = node[part]
    return node


def closed_object() -> Schema:
    return {"type": "object", "additionalProperties": False, "properties": {}}


def check_no_directives(node: Any, path: str = "") -> None:
    """Fail on a `$use`/`$required`/`$overrides` left where it has no meaning."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            check_no_directives(item, f"{path}[{index}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("$"):
                raise AnnotationError(f"{path or '/'}: {key} is only allowed where documented")
            check_no_directives(value, f"{path}/{key}")


def build(values: dict[str, Any], annotations: Annotations) -> Schema:
    """The values schema: documented keys typed, fragments applied, undocumented objects closed."""
    root = closed_object()
    root["properties"]["global"] = {
        "type": "object",
        "description": "Helm passes `global` to every chart; this chart reads nothing from it",
    }
    for key, description in annotations.params.items():
        *parents, name = key.split(".")
        above = {".".join(parents[:depth]) for depth in range(1, len(parents) + 1)}
        if above & annotations.params.keys():
            raise AnnotationError(f"{key}: documented, and so is an object above it")
        holder = root
        for part in parents:
            holder = holder["properties"].setdefault(part, closed_object())
        fragment = dict(annotations.fragments.get(key, {}))
        if fragment.pop("$required", False):
            holder.setdefault("required", []).append(name)
        try:
            fragment = use_definitions(fragment, annotations.definitions)
        except AnnotationError as exc:
            raise AnnotationError(f"{key}: {exc}") from exc
        node = merge(infer(lookup(values, key)), fragment)
        holder["properties"][name] = {"description": description, **node}
    resolved = use_overrides(root, root)
    check_no_directives(resolved)
    return {
        "$schema": "https://json-schema.org/draft-07/schema#",
        "title": "modelfleet chart values (generated from values.yaml by scripts/chart-schema.py)",
        **resolved,
    }


def render() -> str:
    text = (CHART / "values.yaml").read_text()
    schema = build(yaml.safe_load(text), parse(text))
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=CHART / "values.schema.json")
    args = parser.parse_args(argv)
    try:
        text = render()
    except AnnotationError as exc:
        print(f"chart-schema: {exc}", file=sys.stderr)
        return 1
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
