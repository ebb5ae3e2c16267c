"""The OpenAPI document names each schema once: two different schemas under one name
would make the document describe one of them wrongly (ninja keeps the last)."""

import json
from typing import Any

from ninja.openapi.schema import REF_TEMPLATE, NinjaGenerateJsonSchema

from retainops.api import api


def _definitions(model: Any, mode: str) -> dict[str, Any]:
    schema = model.model_json_schema(
        ref_template=REF_TEMPLATE,
        by_alias=True,
        schema_generator=NinjaGenerateJsonSchema,
        mode=mode,
    )
    return dict(schema.get("$defs", {}))


def test_no_two_schemas_share_a_name() -> None:
    api.get_openapi_schema()  # binds every router
    seen: dict[str, tuple[str, str]] = {}
    clashes = set()
    for bound in api._get_bound_routers():
        for path, view in bound.path_operations.items():
            for operation in view.operations:
                models = [(m, "serialization") for m in operation.response_models.values()]
                models += [(m, "validation") for m in operation.models]
                for model, mode in models:
                    if not hasattr(model, "model_json_schema"):
                        continue
                    for name, definition in _definitions(model, mode).items():
                        shape = json.dumps(definition, sort_keys=True)
                        first = seen.setdefault(name, (shape, path))
                        if first[0] != shape:
                            clashes.add((name, first[1], path))
    assert sorted(clashes) == []


def test_every_operation_declares_the_standard_errors() -> None:
    document = api.get_openapi_schema()
    missing = [
        (path, method)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if not {"403", "404", "422"} <= set(operation["responses"])
    ]
    assert missing == []
    assert '"format": "time"' not in json.dumps(document)  # declared as a pattern instead
