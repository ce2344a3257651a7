"""agentcore_api.naming: the names the handler gives, and the pattern that finds them.

That the handler really names interpreters so is shown by tests/agent/test_verify.py, whose
last test verifies an interpreter the handler created.
"""

from __future__ import annotations

import hashlib

import pytest

from agentcore_api.constraints import INTERPRETER_NAME, MAX_INTERPRETER_NAME_LENGTH
from agentcore_api.naming import derived_name, derived_name_pattern, name_base


@pytest.mark.parametrize("base", ["codeinterpreter_dev", "a", "x" * MAX_INTERPRETER_NAME_LENGTH])
def test_derived_names_fit_the_api_and_match_their_pattern(base: str) -> None:
    for seed in range(20):
        name = derived_name(base, hashlib.sha256(str(seed).encode()).digest())
        assert INTERPRETER_NAME.accepts(name), name
        assert len(name) <= MAX_INTERPRETER_NAME_LENGTH
        assert derived_name_pattern(base).fullmatch(name), name


def test_a_long_base_is_cut_so_the_suffix_fits() -> None:
    base = "b" * MAX_INTERPRETER_NAME_LENGTH
    assert name_base(base) == "b" * 37
    assert len(derived_name(base, b"\0" * 32)) == MAX_INTERPRETER_NAME_LENGTH


@pytest.mark.parametrize(
    "name",
    [
        "codeinterpreter_dev",  # no suffix
        "codeinterpreter_dev_abcdefghi",  # 9 characters
        "codeinterpreter_dev_abcdefghijk",  # 11 characters
        "codeinterpreter_dev_ABCDEFGHIJ",  # upper case is not the handler's
        "codeinterpreter_dev_abcdefgh01",  # 0 and 1 are not base32
        "codeinterpreter_devx_abcdefghij",  # another base
        "codeinterpreter_staging_abcdefghij",
    ],
)
def test_names_the_handler_cannot_give_do_not_match(name: str) -> None:
    assert derived_name_pattern("codeinterpreter_dev").fullmatch(name) is None
