"""idsync's built-in synchronization templates (``scim``, ``ldap-to-scim``, ``csv-to-ldap``, ``api-inbound``).

Each template is a Graph ``synchronizationTemplate`` JSON file beside this module (package data) with a
complete schema: directory definitions and rules. A job file names one with ``template: <id>``; its
description says which directory names the job must bind. Callers: ``engine.job``, the CLI, the REST API.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from engine.schema import SynchronizationTemplate, load_template

TEMPLATE_IDS = ("scim", "ldap-to-scim", "csv-to-ldap", "api-inbound")
"""The built-in template ids, in listing order."""


class UnknownTemplateError(ValueError):
    """No built-in template has that id; the message lists the known ones."""

    def __init__(self, template_id: str):
        self.template_id = template_id
        super().__init__(f"unknown template {template_id!r}; known templates: {', '.join(TEMPLATE_IDS)}")


@cache
def _load(template_id: str) -> SynchronizationTemplate:
    text = resources.files(__name__).joinpath(f"{template_id}.json").read_text(encoding="utf-8")
    return load_template(json.loads(text))


def get_template(template_id: str) -> SynchronizationTemplate:
    """A fresh copy of the built-in template ``template_id`` (callers may change it freely).

    Raises :class:`UnknownTemplateError` listing the known ids."""
    if template_id not in TEMPLATE_IDS:
        raise UnknownTemplateError(template_id)
    return _load(template_id).model_copy(deep=True)


def list_templates() -> list[SynchronizationTemplate]:
    """Every built-in template, in :data:`TEMPLATE_IDS` order."""
    return [get_template(template_id) for template_id in TEMPLATE_IDS]


__all__ = ["TEMPLATE_IDS", "UnknownTemplateError", "get_template", "list_templates"]
