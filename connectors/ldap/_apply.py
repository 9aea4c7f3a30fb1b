"""Writes of the ``ldap`` connector: one ``Change`` at a time through ``_writes``' plans, references turned
from ids into DNs, per-change failures returned in the results (fatal ones raised).

* Every target id and referenced id of a batch is looked up first, in a few searches.
* An entry renamed or moved behind our back since it was indexed is looked up again, once.
* Deleting an entry that is already gone succeeds (the wanted state holds).
* slapd 2.5 ignores the permissive-modify control for values that are absent from a present attribute: such
  a removal is retried without them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .._base import ApplyResult, Change, Operation, Scalar
from .._errors import ObjectRejected
from . import _client as client
from ._client import LdapClient, NoSuchEntry, NoSuchValue, normalize_dn
from ._entries import DnIndex, EntryReader
from ._lookups import Lookups
from ._settings import LdapSettings, ObjectSettings
from ._values import encode, reference_dn
from ._writes import MOD_DELETE, modlist, new_entry, new_rdn_value, without_absent_values


class Writer:
    def __init__(
        self,
        client: LdapClient,
        config: LdapSettings,
        index: DnIndex,
        lookups: Lookups,
        reader: Callable[[], EntryReader],
    ) -> None:
        self.client = client
        self.config = config
        self.index = index
        self.lookups = lookups
        self.reader = reader

    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        self.index.trim()
        self._prefetch(changes)
        results: list[ApplyResult] = []
        for change in changes:
            try:
                results.append(ApplyResult(change.key, self._apply_one(change)))
            except ObjectRejected as exc:
                results.append(ApplyResult(change.key, change.target_id, exc))
        return results

    def _prefetch(self, changes: Sequence[Change]) -> None:
        """Resolve every target id and referenced id of the batch in a few searches."""
        ids = {c.target_id for c in changes if c.target_id}
        for change in changes:
            for modification in change.modifications:
                if self.reader().schema.info(modification.name).is_reference:
                    ids.update(str(v) for v in modification.values)
        self.lookups.resolve_ids(ids)

    def _encode(self, attribute: str, value: Scalar) -> bytes:
        info = self.reader().schema.info(attribute)
        if info.is_reference:
            dn = self.index.dn_of(str(value))
            if dn is None:
                raise ObjectRejected(
                    f"{attribute}: no entry with {self.config.anchor} {value!r} in {self.config.base_dn}",
                    connector="ldap",
                )
            return dn.encode("utf-8")
        try:
            return encode(info, value)
        except ValueError as exc:
            raise ObjectRejected(f"{attribute}: {exc}", connector="ldap") from exc

    def _apply_one(self, change: Change) -> str | None:
        obj = self.config.object(change.object_type)
        if change.operation is Operation.CREATE:
            return self._create(obj, change)
        if change.target_id is None:
            raise ObjectRejected(f"a {change.operation.value} needs the target id", connector="ldap")
        try:
            return self._update_or_delete(obj, change, change.target_id)
        except NoSuchEntry:
            # renamed or moved behind our back since it was cached: look it up again, once
            self.lookups.resolve_ids([change.target_id], fresh=True)
            return self._update_or_delete(obj, change, change.target_id)

    def _update_or_delete(self, obj: ObjectSettings, change: Change, target_id: str) -> str | None:
        dn = self.index.dn_of(target_id)
        if change.operation is Operation.DELETE:
            if dn is not None:
                try:
                    self.client.delete(dn)
                except NoSuchEntry:
                    self.lookups.resolve_ids([target_id], fresh=True)
                    if self.index.dn_of(target_id) is not None:
                        raise
            self.index.forget(target_id)
            return target_id
        if dn is None:
            raise NoSuchEntry(f"no entry with {self.config.anchor} {target_id!r}", connector="ldap")
        self._update(obj, change, dn, target_id)
        return target_id

    def _create(self, obj: ObjectSettings, change: Change) -> str | None:
        entry = new_entry(change, obj, self._encode)
        dn = client.child_dn(obj.rdn_attribute, entry.rdn_value, obj.base_dn)
        back = self.client.add(dn, entry.attributes, [self.config.anchor])
        anchor = self.reader().anchor_of(dn, back)
        self.index.remember(dn, anchor)
        return anchor

    def _update(self, obj: ObjectSettings, change: Change, dn: str, target_id: str) -> None:
        rdn_attribute, current = client.rdn_of(dn)
        if rdn_attribute.lower() == obj.rdn_attribute.lower():
            renamed = new_rdn_value(change.modifications, obj, current)
            if renamed is not None:
                dn = self.client.rename(dn, obj.rdn_attribute, renamed)
                self.index.remember(dn, target_id)
        edits = modlist(change.modifications, obj, self._encode)
        try:
            self.client.modify(dn, edits)
        except NoSuchValue:
            names = sorted({name for op, name, values in edits if op == MOD_DELETE and values})
            held = {k.lower(): v for k, v in (self.client.base_entry(dn, names) or {}).items()}
            self.client.modify(dn, without_absent_values(edits, held, self._comparable))

    def _comparable(self, name: str, raw: bytes) -> object:
        """A value as the server's equality rule sees it (DNs normalised, case folded unless caseExact)."""
        info = self.reader().schema.info(name)
        if info.is_reference:
            return normalize_dn(reference_dn(raw))
        return raw if info.case_exact else raw.decode("utf-8", "replace").casefold()
