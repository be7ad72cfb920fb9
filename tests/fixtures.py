"""Small specs written for the tests: a valid three-version project that each test breaks in one way."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from generator.model import ApiModel

REGISTRY: dict[str, Any] = {
    "docs_url": "https://docs.example.test/",
    "policy": "versioning-policy.html",
    "versions": [
        {
            "name": "1.0-prerelease",
            "segment": "v1.0-prerelease",
            "aliases": ["v1-prerelease"],
            "status": "prerelease",
            "deprecated": True,
            "deprecation": "2023-06-30",
            "sunset": "2027-06-30",
            "spec": "v1.0-prerelease.yaml",
        },
        {"name": "1", "segment": "v1", "aliases": ["v1.0"], "status": "released", "spec": "v1.yaml"},
        {"name": "2", "segment": "v2", "aliases": ["v2.0"], "status": "released", "spec": "v2.yaml"},
    ],
}

_HEADERS = {
    "api-supported-versions": {"$ref": "#/components/headers/ApiSupportedVersions"},
    "api-deprecated-versions": {"$ref": "#/components/headers/ApiDeprecatedVersions"},
}
_BAD_REQUEST = {
    "description": "The request is invalid, or the version in its URL is not supported.",
    "headers": _HEADERS,
    "content": {
        "text/plain": {"schema": {"type": "string"}, "example": "The query parameter 'limit' is invalid."},
        "application/json": {
            "schema": {"$ref": "#/components/schemas/ApiVersionError"},
            "example": {"error": {"code": "UnsupportedApiVersion", "message": "not supported"}},
        },
    },
}
_REFUSALS = {
    "401": {"description": "No valid bearer token.", "headers": _HEADERS},
    "403": {"description": "The caller's roles lack the data action.", "headers": _HEADERS},
}


def spec(version: str, segment: str, export: bool = True) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/studies": {
            "get": {
                "operationId": "searchStudies",
                "x-data-action": "read",
                "summary": "Search studies",
                "description": "QIDO-RS search for studies.",
                "tags": ["QIDO-RS"],
                "parameters": [{"$ref": "#/components/parameters/limit"}],
                "responses": {
                    "200": {
                        "description": "Matches",
                        "headers": _HEADERS,
                        "content": {
                            "application/dicom+json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Dataset"},
                                },
                                "example": [{"0020000D": {"vr": "UI", "Value": ["1.2.3"]}}],
                            }
                        },
                    },
                    "400": _BAD_REQUEST,
                    **_REFUSALS,
                },
            }
        },
        "/partitions/{partitionName}/studies": {
            "get": {
                "operationId": "searchStudiesInPartition",
                "x-data-action": "read",
                "summary": "Search studies in a partition",
                "description": "QIDO-RS search for studies of one partition.",
                "tags": ["QIDO-RS"],
                "parameters": [
                    {"$ref": "#/components/parameters/partitionName"},
                    {"$ref": "#/components/parameters/limit"},
                ],
                "responses": {
                    "200": {"$ref": "#/components/responses/Studies"},
                    "400": _BAD_REQUEST,
                    **_REFUSALS,
                },
            }
        },
    }
    if export:
        paths["/export"] = {
            "post": {
                "operationId": "startExport",
                "x-data-action": "export",
                "summary": "Export",
                "description": "Starts an export.",
                "tags": ["Export"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["source"],
                                "properties": {"source": {"type": "string"}},
                            },
                            "example": {"source": "identifiers"},
                        }
                    },
                },
                "responses": {
                    "202": {"description": "Started", "headers": _HEADERS},
                    "400": _BAD_REQUEST,
                    **_REFUSALS,
                },
            }
        }
    return copy.deepcopy(
        {
            "openapi": "3.0.3",
            "info": {"title": "Test API", "version": version},
            "servers": [{"url": "/" + segment}],
            "tags": [{"name": "QIDO-RS", "x-dicom-service": "Studies Service"}, {"name": "Export"}],
            "paths": paths,
            "security": [{"bearer": []}],
            "components": {
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "JWT",
                        "x-data-actions": [
                            {"name": "read", "meaning": "search"},
                            {"name": "export", "meaning": "export"},
                        ],
                    }
                },
                "headers": {
                    "ApiSupportedVersions": {
                        "description": "Versions of this endpoint that are supported.",
                        "required": True,
                        "schema": {"type": "string"},
                        "example": "1, 2",
                    },
                    "ApiDeprecatedVersions": {
                        "description": "Deprecated versions of this endpoint, when it has any.",
                        "schema": {"type": "string"},
                        "example": "1.0-prerelease",
                    },
                },
                "parameters": {
                    "limit": {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 100},
                        "example": 10,
                    },
                    "partitionName": {
                        "name": "partitionName",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "example": "Microsoft.Default",
                    },
                },
                "responses": {
                    "Studies": {
                        "description": "Matches",
                        "headers": _HEADERS,
                        "content": {
                            "application/dicom+json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Dataset"},
                                },
                                "example": [],
                            }
                        },
                    }
                },
                "schemas": {
                    "Dataset": {
                        "type": "object",
                        "additionalProperties": {"$ref": "#/components/schemas/Attribute"},
                    },
                    "Attribute": {
                        "type": "object",
                        "required": ["vr"],
                        "properties": {
                            "vr": {"type": "string"},
                            "Value": {
                                "type": "array",
                                "items": {
                                    "anyOf": [{"type": "string"}, {"$ref": "#/components/schemas/Dataset"}]
                                },
                            },
                        },
                    },
                    "ApiVersionError": {
                        "type": "object",
                        "required": ["error"],
                        "properties": {
                            "error": {
                                "type": "object",
                                "required": ["code", "message"],
                                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                            }
                        },
                    },
                },
            },
        }
    )


def write_project(root: Path, **overrides: Any) -> Path:
    """A valid specs folder under root; overrides replace whole documents (`v2=...`, `registry=...`)."""
    specs = root / "specs"
    specs.mkdir(parents=True, exist_ok=True)
    documents = {
        "versions.yaml": overrides.get("registry", REGISTRY),
        "v1.0-prerelease.yaml": overrides.get(
            "v1_0_prerelease", spec("1.0-prerelease", "v1.0-prerelease", export=False)
        ),
        "v1.yaml": overrides.get("v1", spec("1", "v1")),
        "v2.yaml": overrides.get("v2", spec("2", "v2")),
    }
    for name, document in documents.items():
        text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
        (specs / name).write_text(text, encoding="utf-8")
    return specs


ROOT = Path(__file__).resolve().parent.parent


def served_segments() -> list[str]:
    """The URL segment of every version the real registry serves, oldest first (`v1.0-prerelease`, …)."""
    from generator.lifecycle.registry_file import read_registry

    return [v.segment for v in read_registry(ROOT / "specs").registry.versions]


@cache
def real_model() -> ApiModel:
    """The model of the real specs, loaded once per process (every module shares it; never mutated).

    Through `make generate`'s validation cache: documents that passed the slow OpenAPI and example checks
    before (keyed by content, validator versions and rules) are not checked again.
    """
    from generator.loader import load_api
    from generator.validation_cache import ValidationCache

    return load_api(ROOT / "specs", cache=ValidationCache.of_project(ROOT)).model


def parse_yaml(text: str | bytes) -> Any:
    """YAML through libyaml's safe loader: the pure-Python one takes seconds for a whole spec."""
    return yaml.load(text, Loader=yaml.CSafeLoader)


def supported_versions_header() -> str:
    """`api-supported-versions` of an endpoint every version has: the served versions not deprecated."""
    from generator.lifecycle.registry_file import read_registry

    return ", ".join(v.name for v in read_registry(ROOT / "specs").registry.versions if not v.deprecated)


def segments_before(behaviour_change: str) -> list[str]:
    """The URL segment of every served version that behaves as before the declared behaviour change."""
    import json

    from dicom_service.web.contracts import GENERATED

    def declares(segment: str) -> bool:
        document = json.loads((GENERATED / "specs" / f"{segment}.json").read_text(encoding="utf-8"))
        return any(c.get("id") == behaviour_change for c in document.get("x-behaviour-changes", []))

    return [segment for segment in served_segments() if not declares(segment)]
