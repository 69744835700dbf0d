"""IAM policy condition operators and wildcard matching, as AWS evaluates them.

Contract (AWS IAM policy reference, "Condition operators" and "multivalued context keys"):

- a ``Condition`` block holds operators; every operator must hold, every key under an operator must
  hold, and a key's policy values are OR-ed (for a negated operator: the request value must match
  none of them);
- ``...IfExists``: a key missing from the request makes the condition true;
- a key missing from the request makes a positive operator false and a negated one (``StringNot*``,
  ``ArnNot*``, ``NumericNotEquals``, ``DateNotEquals``, ``NotIpAddress``) true;
- ``Null``: ``true`` means the key must be absent, ``false`` that it must be present;
- ``ForAnyValue:``: at least one request value satisfies the operator (a missing key: false);
  ``ForAllValues:``: every request value satisfies it (a missing or empty key: true);
- ``String*`` and ``Arn*`` values may hold policy variables (``${aws:username}``, ``${*}`` ...);
  ``*Like`` operators take ``*`` and ``?`` wildcards; ``Arn*`` matches the six ARN parts one by one;
- an operator this module does not know makes the condition false and is reported, so an unknown
  operator never grants or silently lifts a deny: :class:`UnknownOperator` is raised.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Context = Mapping[str, Sequence[str]]  # lower-case key -> values (a single-valued key has one)


class UnknownOperator(ValueError):
    """A condition operator the evaluator does not implement."""


@functools.lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """``*`` any run of characters, ``?`` one character, everything else literal."""
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return _glob(pattern, ignore_case).fullmatch(value) is not None


_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


def substitute(value: str, context: Context) -> str | None:
    """Replace policy variables; None when a variable has no single value (the element never matches)."""
    if "${" not in value:
        return value
    missing = False

    def repl(match: re.Match[str]) -> str:
        nonlocal missing
        name, _, default = match.group(1).partition(",")
        name = name.strip()
        if name in _SPECIAL:
            return "\x00" + name  # a literal, not a wildcard
        values = context.get(name.lower())
        if values and len(values) == 1:
            return values[0]
        if default:
            return default.strip().strip("'")
        missing = True
        return ""

    result = _VARIABLE.sub(repl, value)
    return None if missing else result


def _literal_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """Wildcard match where ``\\x00*`` / ``\\x00?`` (from ``${*}`` / ``${?}``) are literal characters."""
    if "\x00" not in pattern:
        return wildcard_match(pattern, value, ignore_case=ignore_case)
    parts = re.split(r"(\x00.)", pattern)
    regex = "".join(
        re.escape(p[1])
        if p.startswith("\x00")
        else "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in p)
        for p in parts
    )
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def arn_match(pattern: str, arn: str) -> bool:
    """ArnLike/ArnEquals: the six colon-separated parts matched one by one (wildcards allowed)."""
    if pattern == "*":
        return True
    p_parts = pattern.split(":", 5)
    a_parts = arn.split(":", 5)
    if len(p_parts) != 6 or len(a_parts) != 6:
        return False
    return all(_literal_match(p, a) for p, a in zip(p_parts, a_parts, strict=True))


def _number(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _date(value: str) -> float | None:
    try:
        return float(value)  # epoch seconds are valid date values
    except (TypeError, ValueError):
        pass
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def _compare(
    parse: Callable[[str], float | None], test: Callable[[float, float], bool]
) -> Callable[..., bool]:
    def match(policy_value: str, request_value: str, _context: Context) -> bool:
        p, r = parse(policy_value), parse(request_value)
        return p is not None and r is not None and test(r, p)

    return match


def _string_equals(policy_value: str, request_value: str, context: Context) -> bool:
    expected = substitute(policy_value, context)
    return expected is not None and expected.replace("\x00", "") == request_value


def _string_equals_ic(policy_value: str, request_value: str, context: Context) -> bool:
    expected = substitute(policy_value, context)
    return expected is not None and expected.replace("\x00", "").lower() == request_value.lower()


def _string_like(policy_value: str, request_value: str, context: Context) -> bool:
    expected = substitute(policy_value, context)
    return expected is not None and _literal_match(expected, request_value)


def _arn_like(policy_value: str, request_value: str, context: Context) -> bool:
    expected = substitute(policy_value, context)
    return expected is not None and arn_match(expected, request_value)


def _bool(policy_value: str, request_value: str, _context: Context) -> bool:
    return str(policy_value).lower() == str(request_value).lower()


def _ip(policy_value: str, request_value: str, _context: Context) -> bool:
    try:
        return ipaddress.ip_address(request_value) in ipaddress.ip_network(policy_value, strict=False)
    except ValueError:
        return False


def _binary(policy_value: str, request_value: str, _context: Context) -> bool:
    return policy_value == request_value


# operator -> (match one policy value against one request value, negated)
OPERATORS: dict[str, tuple[Callable[[str, str, Context], bool], bool]] = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (_string_equals_ic, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ic, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "NumericEquals": (_compare(_number, lambda r, p: r == p), False),
    "NumericNotEquals": (_compare(_number, lambda r, p: r == p), True),
    "NumericLessThan": (_compare(_number, lambda r, p: r < p), False),
    "NumericLessThanEquals": (_compare(_number, lambda r, p: r <= p), False),
    "NumericGreaterThan": (_compare(_number, lambda r, p: r > p), False),
    "NumericGreaterThanEquals": (_compare(_number, lambda r, p: r >= p), False),
    "DateEquals": (_compare(_date, lambda r, p: r == p), False),
    "DateNotEquals": (_compare(_date, lambda r, p: r == p), True),
    "DateLessThan": (_compare(_date, lambda r, p: r < p), False),
    "DateLessThanEquals": (_compare(_date, lambda r, p: r <= p), False),
    "DateGreaterThan": (_compare(_date, lambda r, p: r > p), False),
    "DateGreaterThanEquals": (_compare(_date, lambda r, p: r >= p), False),
    "Bool": (_bool, False),
    "BinaryEquals": (_binary, False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
}


def _values(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items]


def condition_holds(operator: str, key: str, policy_values: Any, context: Context) -> bool:
    """One operator/key pair of a Condition block against the request context."""
    qualifier = ""
    if ":" in operator:
        qualifier, _, operator = operator.partition(":")
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise UnknownOperator(f"{qualifier}:{operator}")
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    base = operator[: -len("IfExists")] if if_exists else operator
    expected = _values(policy_values)
    actual = context.get(key.lower())
    present = actual is not None and (len(actual) > 0 or qualifier == "ForAllValues")

    if base == "Null":
        want_absent = any(v.lower() == "true" for v in expected)
        absent = actual is None or len(actual) == 0
        return absent == want_absent
    if base not in OPERATORS:
        raise UnknownOperator(operator)
    match, negated = OPERATORS[base]

    if not present:
        if if_exists:
            return True
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return negated

    def satisfied(request_value: str) -> bool:
        hit = any(match(p, request_value, context) for p in expected)
        return not hit if negated else hit

    assert actual is not None
    if qualifier == "ForAllValues":
        return all(satisfied(v) for v in actual)
    if qualifier == "ForAnyValue":
        return any(satisfied(v) for v in actual)
    # single-valued operator: a multi-valued request is treated as "any value matches" (negated: none)
    if negated:
        return all(satisfied(v) for v in actual)
    return any(satisfied(v) for v in actual)


def conditions_hold(block: Mapping[str, Mapping[str, Any]] | None, context: Context) -> bool:
    """Every operator and key of a statement's Condition block holds."""
    if not block:
        return True
    for operator, pairs in block.items():
        for key, policy_values in (pairs or {}).items():
            if not condition_holds(operator, key, policy_values, context):
                return False
    return True
