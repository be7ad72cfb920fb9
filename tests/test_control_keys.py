"""A search's control keys are its declared query parameters that are not DICOM attributes, from the specs."""

from __future__ import annotations

from dicom_service.search.query import attribute_pairs
from dicom_service.web.contracts import load_contracts
from tests.fixtures import real_model


def test_control_keys_are_the_declared_query_parameters_without_a_dicom_attribute() -> None:
    model = real_model()
    contracts = load_contracts()
    for name, spec in model.specs.items():
        for op in spec.operations:
            if op.extensions.get("x-dicom-query") is None:
                continue
            declared = {
                p.name.lower() for p in op.parameters if p.location == "query" and not p.dicom_attribute
            }
            assert contracts[name][op.operation_id].control_keys == declared, (name, op.operation_id)


def test_a_newly_declared_control_key_is_not_read_as_an_attribute() -> None:
    included: list[str] = []
    pairs = [("oldestfirst", "true"), ("PatientID", "P1"), ("includefield", "all"), ("LIMIT", "5")]
    control = frozenset({"oldestfirst", "limit", "includefield"})
    assert list(attribute_pairs(pairs, included.append, control)) == [("PatientID", "P1")]
    assert included == ["all"]
    undeclared = attribute_pairs(pairs, included.append, frozenset({"limit"}))
    assert next(undeclared) == ("oldestfirst", "true")  # not declared: an attribute filter
