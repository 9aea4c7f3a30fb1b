"""Request bodies the API validates (Graph's shapes; unknown members such as ``@odata.type`` are ignored).

A body that does not fit is answered 400 with the JSON path of the offending field
(``body.parameters[0].subjects[0].objectId``), by the handler in ``_errors``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from engine.daemon import parse_reset_scope

__all__ = [
    "CreateJobRequest",
    "KeyValue",
    "ParseExpressionRequest",
    "ProvisionOnDemandRequest",
    "RestartRequest",
    "SecretsRequest",
    "ValidateCredentialsRequest",
]


class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class KeyValue(_Body):
    key: str
    value: str = ""


class CreateJobRequest(_Body):
    template_id: str = Field(min_length=1)


class RestartCriteria(_Body):
    reset_scope: str | None = None

    @field_validator("reset_scope")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        parse_reset_scope(value)
        return value


class RestartRequest(_Body):
    criteria: RestartCriteria | None = None

    def scopes(self) -> set[str]:
        return parse_reset_scope(self.criteria.reset_scope if self.criteria else None)


class ValidateCredentialsRequest(_Body):
    application_identifier: str | None = None
    template_id: str | None = None
    use_saved_credentials: bool = False
    credentials: list[KeyValue] = Field(default_factory=list)


class Subject(_Body):
    object_id: str = Field(min_length=1)
    object_type_name: str | None = None


class ApplicationParameters(_Body):
    rule_id: str | None = None
    subjects: list[Subject] = Field(min_length=1)


class ProvisionOnDemandRequest(_Body):
    parameters: list[ApplicationParameters] = Field(min_length=1)


class SecretsRequest(_Body):
    value: list[KeyValue]


class ParseExpressionRequest(_Body):
    expression: str
    test_input_object: dict[str, Any] | None = None
    target_attribute_definition: dict[str, Any] | None = None
