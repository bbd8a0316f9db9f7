"""circuitstats.validate: each edge check turns hostile values into None, never an exception."""

from __future__ import annotations

import json

import pytest

from circuitstats import validate

HUGE_INT = 10**400
ID = "9da0b47a-80d1-422c-ac64-f167904f1c5a"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Branch", "Branch"), (" x ", " x "), ("", None), ("   ", None), (5, None), (None, None), (["a"], None)],
)
def test_text_is_a_non_blank_string(value, expected):
    assert validate.text(value) == expected


def test_text_refuses_over_long_values_instead_of_cutting_them():
    assert validate.text("a" * 10_000) == "a" * 10_000
    assert validate.text("a" * (validate.MAX_TEXT + 1)) is None
    assert validate.text("abcdef", max_len=3) is None


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        float("inf"),
        float("-inf"),
        float("nan"),
        json.loads("1e400"),
        HUGE_INT,
        -HUGE_INT,
        "5",
        None,
    ],
)
def test_number_refuses_bools_non_finite_huge_and_non_numbers(value):
    assert validate.number(value) is None


def test_number_keeps_finite_values_within_the_range():
    assert validate.number(0) == 0
    assert validate.number(2**64) == 2**64
    assert validate.number(2**64 + 1) is None
    assert validate.number(-1.5) == -1.5
    assert validate.number(5, lo=0, hi=4) is None
    assert validate.number(1e300) is None  # finite, but no Mist value is that large


def test_integer_accepts_integral_floats_only():
    assert validate.integer(300.0) == 300 and isinstance(validate.integer(300.0), int)
    assert validate.integer(300.5) is None
    assert validate.integer(4095, 1, 4094) is None


def test_epoch_is_between_1970_and_2100():
    assert validate.epoch(1_750_000_000) == 1_750_000_000
    assert validate.epoch(-1) is None
    assert validate.epoch(10**12) is None  # milliseconds, not seconds


def test_flag_is_a_real_boolean():
    assert validate.flag(True) is True and validate.flag(False) is False
    assert validate.flag(1) is None and validate.flag("true") is None


@pytest.mark.parametrize(
    "value",
    [ID + "\n", " " + ID, ID[:-1], ID + "0", ID.replace("-", ""), {"id": ID}, ["x"], 5, None, "../../x"],
)
def test_uuid_fullmatches(value):
    assert validate.uuid(value) is None


def test_uuid_is_lower_cased():
    assert validate.uuid(ID.upper()) == ID


@pytest.mark.parametrize(
    "value", ["5c:5b:35:00:00:01", "5c5b350000", "5c5b35000001\n", "zz5b35000001", 0x5C5B35000001]
)
def test_mac_fullmatches_twelve_hex_digits(value):
    assert validate.mac(value) is None


def test_mac_is_lower_cased():
    assert validate.mac("5C5B35AABBCC") == "5c5b35aabbcc"


def test_as_dict_and_as_list():
    assert validate.as_dict([1]) == {} and validate.as_dict({"a": 1}) == {"a": 1}
    assert validate.as_list({"a": 1}) == [] and validate.as_list([1]) == [1]


def test_json_safe_makes_any_structure_strict_json():
    raw = {
        "a": [float("nan"), float("inf"), HUGE_INT, 1, "s", True, None],
        "b": {"c": json.loads("-1e400"), 5: "dropped"},
        "t": (1, 2),
        "o": object(),
    }
    safe = validate.json_safe(raw)
    assert safe == {"a": [None, None, None, 1, "s", True, None], "b": {"c": None}, "t": [1, 2], "o": None}
    json.dumps(safe, allow_nan=False)


def test_json_safe_cuts_hostile_nesting():
    deep: list = []
    node = deep
    for _ in range(500):
        node.append([])
        node = node[0]
    json.dumps(validate.json_safe(deep), allow_nan=False)


def test_json_safe_fields_equals_json_safe_of_the_picked_fields():
    class Text(str):
        pass

    item = {
        "a": float("nan"), "b": HUGE_INT, "c": 2.5, "d": 7, "e": Text("t"), "f": [1e308 * 10, {"x": 1}],
        "g": {"h": object(), 5: "dropped"}, "i": True, "j": None, "k": object(), "not": "picked",
    }  # fmt: skip
    fields = ("a", "b", "c", "d", "e", "f", "g", "i", "j", "k", "missing")
    picked = {key: item[key] for key in fields if key in item}
    assert validate.json_safe_fields(item, fields) == validate.json_safe(picked)
    json.dumps(validate.json_safe_fields(item, fields), allow_nan=False)


def test_number_treats_int_and_float_subclasses_as_numbers():
    class Count(int):
        pass

    class Rate(float):
        pass

    assert validate.number(Count(5)) == 5
    assert validate.number(Rate(1.5)) == 1.5
    assert validate.number(Rate("nan")) is None
    assert validate.number(Count(2**64 + 1)) is None
