"""Entra's attribute-mapping expression language: parse, compile, evaluate."""

__all__: list[str] = []
