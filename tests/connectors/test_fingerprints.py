"""Change detection through the connector data store: full reads, incremental reads, tombstones, paging."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import DirectoryObject, Watermark
from connectors._fingerprints import datastore_batch_pages, datastore_pages, fingerprint

from .datastore import DictStore, drain


def objs(state: dict[str, dict[str, str]]) -> list[DirectoryObject]:
    return [DirectoryObject("User", i, dict(a)) for i, a in state.items()]


def read(
    state: dict[str, dict[str, str]], since: Watermark | None, store: DictStore | None, page_size: int = 1000
):
    return datastore_pages(objs(state), since, page_size=page_size, store=store, object_type="User")


def test_fingerprint_ignores_key_order_but_not_values() -> None:
    assert fingerprint({"a": "1", "b": ["x"]}) == fingerprint({"b": ["x"], "a": "1"})
    assert fingerprint({"a": "1"}) != fingerprint({"a": 1})


def test_full_read_then_nothing_changed_then_one_change_and_one_deletion() -> None:
    store = DictStore()
    state = {"u1": {"n": "a"}, "u2": {"n": "b"}}
    first, mark = drain(read(state, None, store), store)
    assert [o.id for o in first] == ["u1", "u2"] and mark is not None
    again, mark2 = drain(read(state, mark, store), store)
    assert again == [] and mark2 is not None and mark.is_before_or_at(mark2)
    del state["u2"]
    state["u1"] = {"n": "changed"}
    changes, _ = drain(read(state, mark2, store), store)
    assert [(o.id, o.deleted) for o in changes] == [("u1", False), ("u2", True)]
    assert set(store.data) == {"u1"}


def test_full_read_drops_store_keys_of_vanished_objects() -> None:
    store = DictStore()
    store.data = {"gone": "x"}
    objects, _ = drain(read({"u1": {}}, None, store), store)
    assert [o.id for o in objects] == ["u1"] and set(store.data) == {"u1"}


def test_without_a_store_an_incremental_read_delivers_everything() -> None:
    objects, _ = drain(read({"u1": {}, "u2": {}}, Watermark(5), None))
    assert [o.id for o in objects] == ["u1", "u2"]


def test_watermark_goes_forward_even_from_a_future_cursor() -> None:
    far = Watermark(cursor=10**30)
    _, mark = drain(read({}, far, DictStore()))
    assert mark is not None and far.is_before_or_at(mark) and mark.cursor != far.cursor


states = st.dictionaries(
    st.sampled_from([f"u{i}" for i in range(12)]), st.dictionaries(st.sampled_from("ab"), st.text(max_size=2))
)


@settings(max_examples=60, deadline=None)
@given(states, states, st.integers(min_value=1, max_value=5))
def test_incremental_read_brings_a_mirror_to_the_new_state(old, new, page_size) -> None:
    store = DictStore()
    mirror: dict[str, dict[str, str]] = {}
    for page in read(old, None, store, page_size):
        assert len(page.objects) <= page_size
        store.commit(page)
        mirror.update({o.id: dict(o.attributes) for o in page.objects})
    _, mark = drain(read(old, None, DictStore()))
    for page in read(new, mark, store, page_size):
        assert len(page.objects) <= page_size
        store.commit(page)
        for o in page.objects:
            if o.deleted:
                mirror.pop(o.id)
            else:
                mirror[o.id] = dict(o.attributes)
    assert mirror == new
    assert set(store.data) == set(new)


def test_without_a_store_no_fingerprint_is_computed_or_kept() -> None:
    pages = list(read({"u1": {"n": "a"}, "u2": {}, "u3": {}}, None, None, page_size=2))
    assert [[o.id for o in page.objects] for page in pages] == [["u1", "u2"], ["u3"]]
    assert all(page.store_updates == {} for page in pages)


class CountingStore(DictStore):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = self.scans = 0

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        self.lookups += 1
        return super().get_many(keys)

    def keys(self) -> Iterator[str]:
        self.scans += 1
        return super().keys()


def test_a_read_into_an_empty_store_neither_looks_up_nor_scans_it() -> None:
    store = CountingStore()
    state = {f"u{i}": {"n": str(i)} for i in range(7)}
    objects, mark = drain(read(state, None, store, page_size=3), store)
    assert len(objects) == 7 and len(store.data) == 7 and (store.lookups, store.scans) == (0, 0)
    del state["u2"]  # with the store filled, a full read scans it for the objects gone
    drain(read(state, None, store, page_size=3), store)
    assert store.scans == 1 and "u2" not in store.data
    again = CountingStore()
    changed, _ = drain(read(state, mark, again, page_size=3), again)
    assert len(changed) == 6 and (again.lookups, again.scans) == (0, 0)


SCALAR_VALUES = st.text(max_size=3) | st.booleans() | st.integers() | st.floats(allow_nan=False)


@given(st.dictionaries(st.text(max_size=3), SCALAR_VALUES | st.lists(SCALAR_VALUES, max_size=2)))
def test_the_fingerprint_is_the_one_stores_already_hold(attributes: dict[str, object]) -> None:
    # Stores kept by earlier versions compare against these digests: a new text would change every object.
    blob = json.dumps(attributes, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    assert fingerprint(attributes) == hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()


UNICODE_TEXT = st.text(st.characters(codec="utf-8"), max_size=4)  # escapes, astral characters, key order
COMPLEX = st.dictionaries(UNICODE_TEXT, UNICODE_TEXT | st.integers() | st.none(), max_size=2)


@settings(max_examples=300)
@given(
    st.dictionaries(
        UNICODE_TEXT,
        UNICODE_TEXT
        | st.integers()
        | st.booleans()
        | st.none()
        | st.floats()
        | st.lists(UNICODE_TEXT | st.integers() | st.floats() | COMPLEX, max_size=3)
        | COMPLEX,
        max_size=6,
    )
)
def test_orjson_writes_the_fingerprint_text_json_writes(attributes: dict[str, object]) -> None:
    # The fast path (orjson) must hash the very text json.dumps gives, for every value it takes.
    blob = json.dumps(attributes, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    assert fingerprint(attributes) == hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()


def split(objects: list[DirectoryObject], cuts: list[int]) -> list[list[DirectoryObject]]:
    bounds = sorted({0, len(objects), *(c % (len(objects) + 1) for c in cuts)})
    return [objects[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=60, deadline=None)
@given(states, states, st.integers(min_value=1, max_value=5), st.lists(st.integers(min_value=0), max_size=6))
def test_batches_of_any_size_make_the_pages_single_objects_make(old, new, page_size, cuts) -> None:
    def pages_of(state, since, store, batched):
        if not batched:
            return [(p.objects, p.store_updates) for p in read(state, since, store, page_size)]
        seen = set(state)  # the producer's duplicate check put them there
        made = datastore_batch_pages(
            split(objs(state), cuts), since, page_size=page_size, store=store, object_type="User", seen=seen
        )
        return [(p.objects, p.store_updates) for p in made]

    for since in (None, Watermark(1)):
        store, batched_store = DictStore(), DictStore()
        for page in read(old, None, store):
            store.commit(page)
        batched_store.data = dict(store.data)
        assert pages_of(new, since, store, False) == pages_of(new, since, batched_store, True)
