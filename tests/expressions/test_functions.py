"""Our own cases for every function (``cases/functions.jsonl``): documented behaviour, null and
multi-valued inputs, errors. Nondeterministic functions (Guid, RandomString, Now) are checked by property."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

import expressions
from expressions._registry import all_specs
from tests.expressions.conftest import check_case, load_cases

CASES = load_cases("functions.jsonl")
NONDETERMINISTIC = {"Guid", "RandomString", "Now"}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    check_case(case)


def test_every_supported_function_has_at_least_three_cases() -> None:
    counts = Counter(case["function"] for case in CASES)
    missing = {
        spec.name: counts[spec.name]
        for spec in all_specs()
        if spec.supported and spec.name not in NONDETERMINISTIC and counts[spec.name] < 3
    }
    assert missing == {}


def test_case_ids_are_unique() -> None:
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("record", [{}, {"x": ["a", "b"]}, {"x": "v"}])
def test_guid_is_a_fresh_v4_guid(record: dict[str, Any]) -> None:
    compiled = expressions.compile("Guid()")
    first, second = compiled.evaluate(record), compiled.evaluate(record)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first)
    assert first != second
    assert not compiled.is_constant  # never folded: each object gets its own


@pytest.mark.parametrize(
    ("expression", "length", "digits", "specials", "upper", "lower"),
    [
        ("RandomString(6,3,0,0,3)", 6, 3, 0, 0, 3),
        ('RandomString(10,2,2,2,1,"?,")', 10, 2, 2, 2, 1),
        ("RandomString(256,0,0,0,0)", 256, 0, 0, 0, 0),
    ],
)
def test_random_string_meets_its_minimums(
    expression: str, length: int, digits: int, specials: int, upper: int, lower: int
) -> None:
    value = expressions.compile(expression).evaluate({})
    assert len(value) == length
    assert sum(c.isdigit() for c in value) >= digits
    assert sum(c.isupper() for c in value) >= upper
    assert sum(c.islower() for c in value) >= lower
    assert sum(not c.isalnum() for c in value) >= specials
    if "?," in expression:
        assert "?" not in value and "," not in value


@pytest.mark.parametrize(
    "expression", ["RandomString(3,2,2,0,0)", "RandomString(0,0,0,0,0)", "RandomString(300,0,0,0,0)"]
)
def test_random_string_impossible_requests_fail_per_object(expression: str) -> None:
    with pytest.raises(expressions.ExpressionEvaluationError) as info:
        expressions.compile(expression).evaluate({})
    assert info.value.function == "RandomString"


def test_now_uses_the_context_clock_and_renders_in_utc() -> None:
    fixed = datetime(2021, 7, 2, 15, 33, 38, tzinfo=UTC)
    context = expressions.EvaluationContext(now=lambda: fixed)
    assert (
        expressions.format_value(expressions.compile("Now()").evaluate({}, context)) == "7/2/2021 3:33:38 PM"
    )
    assert expressions.format_value(expressions.compile('DateAdd("d", 1, Now())').evaluate({}, context)) == (
        "7/3/2021 3:33:38 PM"
    )


def test_now_without_a_clock_is_the_current_time() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    value = expressions.compile("Now()").evaluate({})
    assert before <= value <= datetime.now(UTC)


def test_placeholders_are_filled_from_the_context() -> None:
    compiled = expressions.compile('Join("@", [sAMAccountName], %DomainFQDN%)')
    assert compiled.placeholders == frozenset({"DomainFQDN"})
    context = expressions.EvaluationContext(placeholders={"DomainFQDN": "corp.contoso.com"})
    assert compiled.evaluate({"sAMAccountName": "jdoe"}, context) == "jdoe@corp.contoso.com"


# NormalizeDiacritics: the documented character table (FN), every entry.
DIACRITICS_TABLE = {
    "a": "ä à â ã å á ą ă ā ā́ ā̀ ā̂ ā̃ ǟ ā̈ ǡ a̱ å̄",
    "A": "Ä À Â Ã Å Á Ą Ă Ā Ā́ Ā̀ Ā̂ Ā̃ Ǟ Ā̈ Ǡ A̱ Å̄",
    "ae": "æ ǣ",
    "AE": "Æ Ǣ",
    "c": "ç č ć c̄ c̱",
    "C": "Ç Č Ć C̄ C̱",
    "d": "ď d̄ ḏ",
    "D": "Ď D̄ Ḏ",
    "e": "ë è é ê ę ě ė ē ḗ ḕ ē̂ ē̃ ê̄ e̱ ë̄ e̊̄",
    "E": "Ë È É Ê Ę Ě Ė Ē Ḗ Ḕ Ē̂ Ē̃ Ê̄ E̱ Ë̄ E̊̄",
    "g": "ğ ḡ g̱",
    "G": "Ğ Ḡ G̱",
    "i": "ï î ì í ı ī ī́ ī̀ ī̂ ī̃ i̱",
    "I": "Ï Î Ì Í İ Ī Ī́ Ī̀ Ī̂ Ī̃ I̱",
    "l": "ľ ł l̄ ḹ ḻ",
    "L": "Ł Ľ L̄ Ḹ Ḻ",
    "n": "ñ ń ň n̄ ṉ",
    "N": "Ñ Ń Ň N̄ Ṉ",
    "o": "ö ò ő õ ô ó ō ṓ ṑ ō̂ ō̃ ȫ ō̈ ǭ ȭ ȱ o̱",
    "O": "Ö Ò Ő Õ Ô Ó Ō Ṓ Ṑ Ō̂ Ō̃ Ȫ Ō̈ Ǭ Ȭ Ȱ O̱",
    "oe": "ø ø̄ œ̄",
    "OE": "Ø Ø̄ Œ̄",
    "r": "ř r̄ ṟ ṝ",
    "R": "Ř R̄ Ṟ Ṝ",
    "ss": "ß",
    "s": "š ś ș ş s̄ s̱",
    "S": "Š Ś Ș Ş S̄ S̱",
    "t": "ť ț t̄ ṯ",
    "T": "Ť Ț T̄ Ṯ",
    "u": "ü ù û ú ů ű ū ū́ ū̀ ū̂ ū̃ u̇̄ ǖ ṻ ṳ̄ u̱",
    "U": "Ü Ù Û Ú Ů Ű Ū Ū́ Ū̀ Ū̂ Ū̃ U̇̄ Ǖ Ṻ Ṳ̄ U̱",
    "y": "ÿ ý ȳ ȳ́ ȳ̀ ȳ̃ y̱",
    "Y": "Ÿ Ý Ȳ Ȳ́ Ȳ̀ Ȳ̃ Y̱",
    "z": "ź ž ż z̄ ẕ",
    "Z": "Ź Ž Ż Z̄ Ẕ",
}


@pytest.mark.parametrize(("plain", "accented"), list(DIACRITICS_TABLE.items()))
def test_normalize_diacritics_documented_table(plain: str, accented: str) -> None:
    compiled = expressions.compile("NormalizeDiacritics([x])")
    for character in accented.split():
        assert compiled.evaluate({"x": character}) == plain, character


def test_a_pathological_regex_fails_the_object_instead_of_hanging(monkeypatch: pytest.MonkeyPatch) -> None:
    from expressions import _lib_replace

    monkeypatch.setattr(_lib_replace, "MATCH_TIMEOUT_SECONDS", 0.05)
    compiled = expressions.compile('Replace([x], , "(a|aa)+$", , "", , )')  # exponential backtracking
    with pytest.raises(expressions.ExpressionEvaluationError, match="took longer") as info:
        compiled.evaluate({"x": "a" * 40 + "b"})
    assert info.value.function == "Replace"


def test_a_complex_value_reads_as_its_json_text() -> None:
    """A json source's complex value (SCIM ``name``) given to a text function: its JSON text, not Python's
    repr of a dict."""
    record = {"name": {"givenName": "Ann", "familyName": "Lée"}}
    joined = expressions.compile('Join(" ", [name])').evaluate(record)
    assert joined == '{"givenName":"Ann","familyName":"Lée"}'
