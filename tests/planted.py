"""Secrets of every kind the redactor must catch, built from a seeded ``random.Random``.

One catalogue serves the hypothesis properties (``st.randoms()`` feeds a builder, so every
example is a fresh secret of that kind) and ``bench/reliability_bench.py`` (a fixed seed per
case, so a failing case is reproducible by name). Each builder returns a :class:`Planted`: the
text as a program prints it (``AWS_SECRET_ACCESS_KEY=...``) and the parts that must never
survive redaction (the value, not the variable's name). ``literal`` holds the value a user
configures (``CI_MEDIC_GITHUB_TOKEN``) for the kinds that only the configuration makes secret.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["KINDS", "Planted", "plant"]

_ALNUM = string.ascii_letters + string.digits
_UPPER_DIGITS = string.ascii_uppercase + string.digits
_B64 = _ALNUM + "+/"
_URL_B64 = _ALNUM + "-_"


@dataclass(frozen=True)
class Planted:
    """``printed``: the secret as it appears in output; ``secrets``: what must never survive;
    ``literal``: a value to configure (environment) for the redactor to know it, or None."""

    kind: str
    printed: str
    secrets: tuple[str, ...]
    literal: str | None = None


def _pick(rng: random.Random, alphabet: str, size: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(size))


def _mixed(rng: random.Random, size: int) -> str:
    """Letters and digits with at least one of each (a real token never is one plain word)."""
    body = list(_pick(rng, _ALNUM, size - 2) + rng.choice(string.digits) + rng.choice("QXZJK"))
    rng.shuffle(body)
    return "".join(body)


def _github(prefix: str) -> Callable[[random.Random], Planted]:
    def build(rng: random.Random) -> Planted:
        token = prefix + _mixed(rng, 36)
        return Planted(f"github-{prefix.rstrip('_')}", f"GITHUB_TOKEN={token}", (token[4:],))

    return build


def _github_pat(rng: random.Random) -> Planted:
    token = f"github_pat_{_mixed(rng, 22)}_{_mixed(rng, 59)}"
    return Planted("github-pat", f"using {token} for the API", (token[11:],))


def _aws_no_spaces(rng: random.Random) -> Planted:
    value = _pick(rng, _B64, 38) + rng.choice(string.digits) + "Q"
    return Planted("aws-secret=", f"AWS_SECRET_ACCESS_KEY={value}", (value,))


def _aws_quoted(rng: random.Random) -> Planted:
    value = _pick(rng, _B64, 38) + rng.choice(string.digits) + "Q"
    return Planted("aws-secret-yaml", f'  aws_secret_access_key: "{value}"', (value,))


def _aws_key_id(rng: random.Random) -> Planted:
    value = "AKIA" + _pick(rng, _UPPER_DIGITS, 16)
    return Planted("aws-key-id", f"key id {value} in use", (value,))


def _jwt(rng: random.Random) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    claims = {
        "sub": _pick(rng, string.digits, 10),
        "name": _pick(rng, _ALNUM, 8),
        "iat": 1516239022,
    }
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{_pick(rng, _URL_B64, 43)}"


def _bearer_header(rng: random.Random) -> Planted:
    token = _jwt(rng)
    return Planted(
        "bearer-header", f"curl -H 'Authorization: Bearer {token}' https://x.io", (token,)
    )


def _bearer_bare(rng: random.Random) -> Planted:
    token = _jwt(rng)
    return Planted("bearer-jwt", f"sent Bearer {token}", (token, token.split(".")[2]))


def _url_password(rng: random.Random) -> Planted:
    password = _mixed(rng, 14)
    return Planted(
        "url-password",
        f"git clone https://ci-bot:{password}@git.example.com/o/r.git",
        (password,),
    )


def _npm(rng: random.Random) -> Planted:
    token = "npm_" + _mixed(rng, 36)
    return Planted("npm-token", f"NPM_TOKEN {token} set", (token[4:],))


def _npmrc(rng: random.Random) -> Planted:
    token = "npm_" + _mixed(rng, 36)
    return Planted("npmrc", f"//registry.npmjs.org/:_authToken={token}", (token[4:],))


def _password(rng: random.Random) -> Planted:
    value = _mixed(rng, 16)
    return Planted("password=", f"password={value}", (value,))


def _slack(rng: random.Random) -> Planted:
    token = (
        f"xoxb-{_pick(rng, string.digits, 11)}-{_pick(rng, string.digits, 12)}-{_mixed(rng, 24)}"
    )
    return Planted("slack", f"SLACK {token}", (token[5:],))


def _stripe(rng: random.Random) -> Planted:
    token = "sk_live_" + _mixed(rng, 24)
    return Planted("stripe", f"stripe key {token}", (token[8:],))


def _private_key(rng: random.Random) -> Planted:
    body = [_pick(rng, _B64, 64) for _ in range(3)]
    block = "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *body, "-----END RSA PRIVATE KEY-----"])
    return Planted("private-key", block, tuple(body))


def _configured(rng: random.Random) -> Planted:
    token = _mixed(rng, 24)  # no known prefix: only the configuration makes it a secret
    return Planted("configured-token", f"echo {token}", (token,), literal=token)


def _configured_newline(rng: random.Random) -> Planted:
    first, second = _mixed(rng, 14), _mixed(rng, 12)
    token = f"ghp_{first}\n{second}"
    return Planted("token-with-newline", f"Invalid header: {token} --", (first, second), token)


def _configured_escaped(rng: random.Random) -> Planted:
    first, second = _mixed(rng, 14), _mixed(rng, 12)
    token = f"{first}\n{second}"
    return Planted("token-json-escaped", json.dumps({"auth": token}), (first, second), token)


def _add_mask(rng: random.Random) -> Planted:
    value = _mixed(rng, 18)
    return Planted("add-mask", f"::add-mask::{value}", (value,))


KINDS: dict[str, Callable[[random.Random], Planted]] = {
    "github-ghp": _github("ghp_"),
    "github-gho": _github("gho_"),
    "github-ghs": _github("ghs_"),
    "github-pat": _github_pat,
    "aws-secret=": _aws_no_spaces,
    "aws-secret-yaml": _aws_quoted,
    "aws-key-id": _aws_key_id,
    "bearer-header": _bearer_header,
    "bearer-jwt": _bearer_bare,
    "url-password": _url_password,
    "npm-token": _npm,
    "npmrc": _npmrc,
    "password=": _password,
    "slack": _slack,
    "stripe": _stripe,
    "private-key": _private_key,
    "configured-token": _configured,
    "token-with-newline": _configured_newline,
    "token-json-escaped": _configured_escaped,
    "add-mask": _add_mask,
}


def plant(kind: str, seed: int | random.Random) -> Planted:
    """A secret of ``kind`` from ``seed`` (an int or a Random)."""
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    return KINDS[kind](rng)
