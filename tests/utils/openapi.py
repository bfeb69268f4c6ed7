"""Validate JSON against a schema of LINE's OpenAPI files, resolving every discriminator to its concrete schema.

Plain JSON Schema ignores OpenAPI's ``discriminator``, so a text message would only be checked against the
abstract ``Message``; here the keyword picks the mapped schema (``TextMessage``) and validates against it too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator, ValidationError, validators

# LINE's OpenAPI files are vendored with their licence (Apache-2.0, see SOURCE.md there), so the tests pass from
# a clone alone; LINE_OPENAPI_DIR points at another copy (e.g. a newer one in shared/) to check against it.
VENDORED_SPEC_DIR = Path(__file__).resolve().parents[1] / "contracts" / "line-openapi"
SPEC_DIR = Path(os.environ.get("LINE_OPENAPI_DIR", VENDORED_SPEC_DIR))
_active: ContextVar[frozenset[tuple[int, str]]] = ContextVar("_active", default=frozenset())


def _discriminator(validator: Any, discriminator: dict[str, Any], instance: Any, schema: Any) -> Iterator[Any]:
    if not isinstance(instance, dict):
        return
    prop = discriminator["propertyName"]
    target = discriminator.get("mapping", {}).get(instance.get(prop))
    if target is None:
        yield ValidationError(f"{prop}={instance.get(prop)!r} is not one of the spec's {prop} values")
        return
    key = (id(instance), target)
    if key in _active.get():
        return  # already validating this object against its concrete schema (allOf includes the parent)
    token = _active.set(_active.get() | {key})
    try:
        yield from validator.descend(instance, {"$ref": target})
    finally:
        _active.reset(token)


OpenApiValidator = validators.extend(Draft7Validator, {"discriminator": _discriminator})


@cache
def _spec(name: str) -> dict[str, Any]:
    path = SPEC_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"LINE's OpenAPI file {path} is missing (vendored in {VENDORED_SPEC_DIR}; "
                                "LINE_OPENAPI_DIR overrides it)")
    spec: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return spec


def errors(spec_file: str, schema_name: str, instance: Any) -> list[str]:
    """Every violation of ``#/components/schemas/<schema_name>`` in ``spec_file`` (empty when valid)."""
    document = dict(_spec(spec_file))
    document["$ref"] = f"#/components/schemas/{schema_name}"
    validator = OpenApiValidator(document)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]
