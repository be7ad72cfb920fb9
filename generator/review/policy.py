"""The versioning policy as one table of rules: the checker, its documentation page and its tests read it.

Every change the review reports names a rule of this table. `policy` quotes the versioning policy word for
word where the policy says something about the change; where it is silent, the sentence starts with
"Derived:" and gives the project's decision and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["request", "response", "both", "n/a"]
Severity = Literal["breaking", "non-breaking", "warning"]

DERIVED = "Derived: "

# The sentences of the policy (the "API versioning for DICOM service" guide), quoted exactly.
ENDPOINTS = "Renaming or removing endpoints."
PARAMETERS = "Removing parameters or adding mandatory parameters."
STATUS = "Changing status code."
# The policy's bullet goes on "It's okay to add properties to the response.": that half is about additions,
# so the rules that find a response growing or changing quote only the first sentence.
RESPONSE = "Deleting a property in a response, or altering a response type at all."
PROPERTY_TYPE = "Changing the type of a property."
BEHAVIOUR = (
    "Behavior when an API changes such as changes in business logic used to do foo, but it now does bar."
)
NULLABLE_OR_DEFAULT = "Addition of properties that are nullable or have a default value."
RESPONSE_ADDITION = "Addition of properties to a response model."
ORDER = "Changing the order of properties."
PRERELEASE = "These endpoints might experience breaking changes without notice."
MAJOR = (
    "We currently only increment the major version whenever there's a breaking change, "
    "which is considered to be not backwards compatible."
)


@dataclass(frozen=True)
class Rule:
    id: str
    breaking: bool | Literal["warning"]
    direction: Direction
    title: str
    policy: str
    example: str

    @property
    def severity(self) -> Severity:
        if self.breaking == "warning":
            return "warning"
        return "breaking" if self.breaking else "non-breaking"

    @property
    def directions(self) -> tuple[str, ...]:
        """The directions in which the corpus must show the rule firing."""
        return ("request", "response") if self.direction == "both" else (self.direction,)


def _derived(text: str) -> str:
    return DERIVED + text


# fmt: off
RULES: tuple[Rule, ...] = (
    # Rule(id, breaking, direction, title,
    #      policy sentence,
    #      example)
    # Versions (folder and git-ref reviews pair versions by registry name).
    Rule("version-removed", True, "n/a", "API version removed",
         _derived("clients of a removed version lose every endpoint (" + ENDPOINTS
                  + "); allowed for a prerelease version and for a deprecated version whose sunset date has "
                  "passed."),
         "`2` dropped from versions.yaml"),
    Rule("version-added", False, "n/a", "API version added",
         _derived("a new version changes nothing for the clients of the existing ones."),
         "`3` added to versions.yaml"),
    Rule("version-released", False, "n/a", "API version released",
         _derived("a prerelease becomes a release: its calls keep working, and from now on it never breaks "
                  "in place."),
         "`status: prerelease` → `released` for `3` in versions.yaml"),
    Rule("version-deprecated", False, "n/a", "API version deprecated",
         _derived("deprecation announces a future removal; every call still works until the sunset."),
         "`deprecated: true` with a sunset for `1` in versions.yaml"),
    # Endpoints.
    Rule("endpoint-removed", True, "n/a", "endpoint removed",
         ENDPOINTS,
         "`DELETE /studies/{study}` removed"),
    Rule("endpoint-renamed", True, "n/a", "endpoint renamed",
         ENDPOINTS,
         "`searchStudies` moved from `/studies` to `/study-search`"),
    Rule("endpoint-added", False, "n/a", "endpoint added",
         _derived("a new endpoint breaks no existing call, as adding properties to a response does not."),
         "`PATCH /studies/{study}` added"),
    Rule("operation-id-changed", "warning", "n/a", "operationId changed",
         _derived("the wire contract is unchanged, but generated clients and handlers are renamed."),
         "`searchStudies` → `findStudies`"),
    Rule("deprecated", False, "n/a", "marked deprecated",
         _derived("deprecation announces a future removal; the call still works."),
         "`deprecated: true` on an operation"),
    Rule("security-requirement-added", True, "n/a", "security requirement added",
         _derived("a call that needed no credential, or fewer, is now refused (" + BEHAVIOUR + ")"),
         "`security: [{oauth: []}]` on a public operation"),
    Rule("security-requirement-removed", False, "n/a", "security requirement relaxed",
         _derived("every call that was accepted still is."),
         "an alternative `[{}]` (anonymous) added"),
    Rule("data-action-added", True, "n/a", "data action required",
         _derived("a caller whose roles grant no such action is now refused (" + BEHAVIOUR + ")"),
         "`x-data-action: read` on an operation that needed none"),
    Rule("data-action-changed", True, "n/a", "data action changed",
         _derived("roles grant actions independently, so a caller holding the old action may lack the new "
                  "one and is now refused (" + BEHAVIOUR + ")"),
         "`x-data-action: read` → `x-data-action: export`"),
    Rule("data-action-removed", False, "n/a", "data action no longer required",
         _derived("every call that was accepted still is."),
         "`x-data-action` removed: any authenticated caller is accepted"),
    Rule("extension-changed", False, "n/a", "documented behaviour changed",
         _derived("an `x-` extension describes behaviour (" + BEHAVIOUR
                  + ") that no machine can judge; it is reported for the reviewer, who adds a version or a "
                  "waiver when the behaviour change breaks clients."),
         "`x-dicom.queryLevels.study.default` lists another attribute"),
    Rule("behaviour-change-declared", True, "n/a", "behaviour change declared",
         BEHAVIOUR,
         "`x-behaviour-changes` lists `stow-202-on-warnings`, which the base does not"),
    Rule("reordered", False, "both", "reordered",
         ORDER,
         "properties, parameters, enum values or responses listed in another order"),
    # Parameters.
    Rule("parameter-removed", True, "request", "parameter removed",
         PARAMETERS,
         "query parameter `limit` removed"),
    Rule("parameter-required-added", True, "request", "mandatory parameter added",
         PARAMETERS,
         "new header `x-tenant` with `required: true`"),
    Rule("parameter-added", False, "request", "optional parameter added",
         _derived("like a property that may be left out (" + NULLABLE_OR_DEFAULT + ")"),
         "new optional query `offset`"),
    Rule("parameter-became-required", True, "request", "parameter became mandatory",
         PARAMETERS,
         "`limit` changed to `required: true`"),
    Rule("parameter-became-optional", False, "request", "parameter became optional",
         _derived("every call that sent the parameter is still valid."),
         "`limit` changed to `required: false`"),
    Rule("parameter-serialization-changed", True, "request", "parameter serialization changed",
         _derived("the same values are now written differently in the URL (" + PROPERTY_TYPE + ")"),
         "`includefield` from `explode: true` to `explode: false`"),
    # Request bodies.
    Rule("request-body-required-added", True, "request", "required request body added",
         PARAMETERS,
         "`requestBody.required` becomes true, or a required body appears"),
    Rule("request-body-added", False, "request", "optional request body added",
         _derived("calls without a body are still valid."),
         "optional JSON body on `POST /workitems/{id}/cancelrequest`"),
    Rule("request-body-removed", True, "request", "request body removed",
         PARAMETERS,
         "`PUT /studies/{study}` no longer takes a body"),
    Rule("request-body-became-optional", False, "request", "request body became optional",
         _derived("calls with a body are still valid."),
         "`requestBody.required` from true to false"),
    # Responses.
    Rule("response-status-removed", True, "response", "response status removed",
         STATUS,
         "`409` no longer documented for STOW-RS"),
    Rule("success-status-changed", True, "response", "success status changed",
         STATUS,
         "`200` replaced by `202`"),
    Rule("success-status-added", True, "response", "success status added",
         _derived("a client written for the documented success status now gets another one (" + STATUS + ")"),
         "`202 Accepted` added next to `200`"),
    Rule("error-status-added", False, "response", "error status added",
         _derived("clients already handle any 4xx/5xx; documenting one more changes no successful call."),
         "`429 Too Many Requests` documented"),
    Rule("response-header-removed", True, "response", "response header removed",
         RESPONSE,
         "`Location` header no longer sent"),
    Rule("response-header-became-optional", True, "response", "response header became optional",
         RESPONSE,
         "`ETag` changed to `required: false`"),
    Rule("response-header-added", False, "response", "response header added",
         RESPONSE_ADDITION,
         "`api-deprecated-versions` header added"),
    # Media types (request: what clients may send; response: what clients may accept).
    Rule("media-type-removed", True, "both", "media type removed",
         _derived("clients that send or ask for that media type are refused; for responses the policy says "
                  "so: " + RESPONSE),
         "`application/json` dropped, only `application/dicom+json` left"),
    Rule("media-type-added", False, "both", "media type added",
         _derived("clients keep using the media types they use."),
         "`application/json` added next to `application/dicom+json`"),
    # Schemas, both directions.
    Rule("type-changed", True, "both", "type or format changed",
         PROPERTY_TYPE,
         "`percentComplete` from `integer` to `string`"),
    # Schemas in requests: tightening breaks clients, loosening does not.
    Rule("request-property-removed", True, "request", "request property removed",
         PARAMETERS,
         "`reason` no longer accepted in a cancel request"),
    Rule("request-property-added", False, "request", "optional request property added",
         NULLABLE_OR_DEFAULT,
         "optional `reason` in a cancel request"),
    Rule("request-required-property-added", True, "request", "required request property added",
         PARAMETERS,
         "required `reason` (no default) in a cancel request"),
    Rule("request-property-became-required", True, "request", "request property became required",
         PARAMETERS,
         "`reason` added to `required`"),
    Rule("request-property-became-optional", False, "request", "request property became optional",
         _derived("bodies that sent the property are still valid."),
         "`reason` removed from `required`"),
    Rule("request-enum-value-removed", True, "request", "request enum narrowed",
         PROPERTY_TYPE,
         "`procedureStepState` no longer accepts `SCHEDULED`"),
    Rule("request-enum-value-added", False, "request", "request enum widened",
         _derived("every value clients send is still accepted."),
         "`procedureStepState` accepts `CANCELED`"),
    Rule("request-nullable-removed", True, "request", "request property no longer nullable",
         PROPERTY_TYPE,
         "`nullable: true` removed from `reason`"),
    Rule("request-nullable-added", False, "request", "request property became nullable",
         _derived("every value clients send is still accepted, and null is too."),
         "`nullable: true` added to `reason`"),
    Rule("request-constraint-tightened", True, "request", "request constraint tightened",
         PROPERTY_TYPE,
         "`maxLength` 64 → 16, `minimum` 0 → 1, `pattern` changed"),
    Rule("request-constraint-loosened", False, "request", "request constraint loosened",
         _derived("every value clients send is still accepted."),
         "`maxLength` 16 → 64"),
    Rule("default-changed", True, "request", "default value changed or removed",
         BEHAVIOUR,
         "`limit` default 100 → 50"),
    Rule("default-added", False, "request", "default value added",
         NULLABLE_OR_DEFAULT,
         "`limit` gets `default: 100`"),
    # Schemas in responses: what the server may send must not grow beyond what clients handle.
    Rule("response-property-removed", True, "response", "response property removed",
         RESPONSE,
         "`status` no longer in the operation body"),
    Rule("response-property-added", False, "response", "response property added",
         RESPONSE_ADDITION,
         "`createdAt` added to the operation status"),
    Rule("response-property-became-optional", True, "response", "response property became optional",
         RESPONSE,
         "`status` removed from `required`"),
    Rule("response-property-became-required", False, "response", "response property became required",
         _derived("clients that handle the property's absence also handle its presence."),
         "`status` added to `required`"),
    Rule("response-enum-value-added", True, "response", "response enum widened",
         RESPONSE,
         "operation `status` may now be `succeeded`"),
    Rule("response-enum-value-removed", False, "response", "response enum narrowed",
         _derived("clients handle every value that is still sent."),
         "operation `status` no longer `unknown`"),
    Rule("response-nullable-added", True, "response", "response property became nullable",
         RESPONSE,
         "`nullable: true` added to `percentComplete`"),
    Rule("response-nullable-removed", False, "response", "response property no longer nullable",
         _derived("clients that handle null also handle values."),
         "`nullable: true` removed from `percentComplete`"),
    Rule("response-constraint-loosened", True, "response", "response constraint loosened",
         RESPONSE,
         "`maximum` 100 → 1000 on a returned number"),
    Rule("response-constraint-tightened", False, "response", "response constraint tightened",
         _derived("every value still sent was already allowed."),
         "`maxLength` 64 → 16 on a returned string"),
)
# fmt: on

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule:
    """The rule with this id; a KeyError means the checker found something the policy does not name."""
    return RULES_BY_ID[rule_id]


# What the review deliberately does not report: documentation that changes no call.
IGNORED = (
    "`description`, `summary`, `title`, `example`/`examples`, `externalDocs` and tags",
    "path-parameter names (`/studies/{study}` is `/studies/{studyInstanceUid}`)",
    "how a schema is written: `$ref` or inline, `allOf` or merged, `charset=utf-8` on JSON media types",
    "`servers` (the registry owns URLs)",
)
