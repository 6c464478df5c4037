#!/usr/bin/env python3
"""Validates the example manifests in deploy/ offline, as no cluster runs here.

Kubernetes Jobs: against Kubernetes' own OpenAPI schemas (the `kubernetes-validate` package,
strict: an unknown field is an error). The Argo Workflow: against Argo's models as the `hera`
package generates them from Argo's OpenAPI spec, with every key checked against its model's
fields (an unknown or misspelt field is an error) and every value against its type.

Usage: scripts/validate-manifests.py [FILE ...]   (default: every manifest under deploy/)
Prints one line per file; exits 1 if any does not validate.
"""
import glob
import os
import sys
import typing

import yaml


def unknown_keys(model, data, path):
    """The keys of `data` that no field of pydantic `model` (by alias or name) takes, at any
    depth."""
    if not isinstance(data, dict) or not hasattr(model, "model_fields"):
        return []
    fields = {}
    for name, f in model.model_fields.items():
        fields[f.alias or name] = f
        fields[name] = f
    if "root" in model.model_fields and len(model.model_fields) == 1:
        return walk(model.model_fields["root"].annotation, data, path)
    bad = []
    for k, v in data.items():
        f = fields.get(k)
        if f is None:
            bad.append(f"{path}.{k}")
        else:
            bad += walk(f.annotation, v, f"{path}.{k}")
    return bad


def walk(annotation, value, path):
    """The unknown keys in `value`, read as type `annotation` says (a model, a list or a map of
    them, optional or annotated)."""
    from pydantic import BaseModel

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return unknown_keys(annotation, value, path)
    if origin in (list, typing.List) and isinstance(value, list):
        return [b for i, v in enumerate(value) for b in walk(args[0], v, f"{path}[{i}]")]
    if origin in (dict, typing.Dict) and isinstance(value, dict):
        return [b for k, v in value.items() for b in walk(args[1], v, f"{path}.{k}")]
    bad = []
    for a in args:  # Optional / Union / Annotated: the first reading that is a model or container
        if a is type(None):
            continue
        found = walk(a, value, path)
        if typing.get_origin(a) or (isinstance(a, type) and issubclass(a, BaseModel)):
            return found
        bad += found
    return bad


def validate_argo(doc):
    from hera.workflows.models import Workflow

    Workflow.model_validate(doc)
    bad = unknown_keys(Workflow, doc, "")
    if bad:
        raise ValueError("unknown fields: " + ", ".join(bad))


def validate(path):
    import kubernetes_validate

    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    for doc in docs:
        if doc.get("apiVersion", "").startswith("argoproj.io/"):
            validate_argo(doc)
        else:
            kubernetes_validate.validate(doc, "1.32", strict=True)
    return len(docs)


def main(argv):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    files = argv or sorted(glob.glob(os.path.join(root, "deploy", "*", "*.yaml")))
    failed = 0
    for path in files:
        try:
            n = validate(path)
            print(f"ok    {os.path.relpath(path, root)} ({n} resource{'s' if n != 1 else ''})")
        except Exception as e:  # every validator's own error, shown as it says it
            failed += 1
            print(f"FAIL  {os.path.relpath(path, root)}: {str(e).splitlines()[0]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
