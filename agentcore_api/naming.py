"""How the handler names the interpreters it creates, so that other tools can recognise them.

A name is the configured base name, cut to fit, then `_` and a suffix of 10 lowercase base32
characters derived from the stack, the logical id and the create-only properties
(lambda/code_interpreter/index.py, `interpreter_name`). `make verify` uses the same rule to find
interpreters named like a stack's own.
"""

from __future__ import annotations

import base64
import re

from agentcore_api.constraints import MAX_INTERPRETER_NAME_LENGTH

NAME_SUFFIX_LENGTH = 10
# RFC 4648 base32 in lower case: a-z and 2-7.
_SUFFIX = f"[a-z2-7]{{{NAME_SUFFIX_LENGTH}}}"


def name_base(base_name: str) -> str:
    """The part of a derived name that comes from the configured base name."""
    return base_name[: MAX_INTERPRETER_NAME_LENGTH - NAME_SUFFIX_LENGTH - 1]


def derived_name(base_name: str, digest: bytes) -> str:
    """`<base name cut to fit>_<10 lowercase base32 characters of digest>`."""
    suffix = base64.b32encode(digest).decode("ascii").lower()[:NAME_SUFFIX_LENGTH]
    return f"{name_base(base_name)}_{suffix}"


def derived_name_pattern(base_name: str) -> re.Pattern[str]:
    """Matches (in full) every name `derived_name` can give for this base name."""
    return re.compile(f"{re.escape(name_base(base_name))}_{_SUFFIX}", re.ASCII)
