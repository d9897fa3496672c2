"""Unit tests for :mod:`tongxin.core.crypto` (AES-GCM encryption and keyed hashes; Django settings, no database)."""

from __future__ import annotations

import base64
import re

import pytest

from tongxin.core import crypto

KEY_A = "test-data-key-A-0123456789abcdefghijklmnopqrstuvwxyz"
KEY_B = "test-data-key-B-0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(autouse=True)
def data_key(settings):
    """A fixed data key, so the tests do not depend on var/test/data_key."""
    settings.DATA_KEY = KEY_A
    return settings


# --- encrypt / decrypt ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plaintext",
    [
        "11010519491231002X",
        "13912345678",
        "0871-65123456-801",
        "王芳",
        "云南省昆明市盘龙区鼓楼街道桃源社区第一居民小组",
        "阿依古丽·买买提 😀",
        " leading and trailing spaces ",
        "0",
        "x" * 10_000,
        "line\nbreak\ttab\0nul",
    ],
)
def test_round_trip(plaintext):
    token = crypto.encrypt(plaintext)
    assert token != plaintext
    assert crypto.decrypt(token) == plaintext


def test_token_format():
    token = crypto.encrypt("王芳")
    assert token.startswith(crypto.PREFIX)
    raw = base64.b64decode(token[len(crypto.PREFIX) :], validate=True)
    # 12-byte nonce + ciphertext (as long as the UTF-8 plaintext) + 16-byte tag
    assert len(raw) == 12 + len("王芳".encode()) + 16
    assert "王芳" not in token
    assert re.fullmatch(r"v1:[A-Za-z0-9+/]+=*", token)


def test_ciphertexts_differ_each_time():
    tokens = {crypto.encrypt("13912345678") for _ in range(20)}
    assert len(tokens) == 20
    assert {crypto.decrypt(t) for t in tokens} == {"13912345678"}


def test_nonces_differ_each_time():
    nonces = {base64.b64decode(crypto.encrypt("a")[len(crypto.PREFIX) :])[:12] for _ in range(20)}
    assert len(nonces) == 20


@pytest.mark.parametrize("blank", ["", None])
def test_blank_stays_blank(blank):
    assert crypto.encrypt(blank) == ""
    assert crypto.decrypt(blank) == ""


def test_different_key_cannot_decrypt(data_key):
    token = crypto.encrypt("11010519491231002X")
    data_key.DATA_KEY = KEY_B
    with pytest.raises(ValueError, match="cannot decrypt"):
        crypto.decrypt(token)
    data_key.DATA_KEY = KEY_A
    assert crypto.decrypt(token) == "11010519491231002X"


def test_each_key_decrypts_its_own_tokens(data_key):
    token_a = crypto.encrypt("王芳")
    data_key.DATA_KEY = KEY_B
    token_b = crypto.encrypt("王芳")
    assert crypto.decrypt(token_b) == "王芳"
    with pytest.raises(ValueError):
        crypto.decrypt(token_a)
    data_key.DATA_KEY = KEY_A
    assert crypto.decrypt(token_a) == "王芳"
    with pytest.raises(ValueError):
        crypto.decrypt(token_b)


@pytest.mark.parametrize("position", [0, 11, 12, -17, -1])
def test_tampered_token_is_rejected(position):
    token = crypto.encrypt("13912345678")
    raw = bytearray(base64.b64decode(token[len(crypto.PREFIX) :]))
    raw[position] ^= 0x01
    tampered = crypto.PREFIX + base64.b64encode(bytes(raw)).decode()
    with pytest.raises(ValueError, match="cannot decrypt"):
        crypto.decrypt(tampered)


def test_truncated_token_is_rejected():
    token = crypto.encrypt("13912345678")
    raw = base64.b64decode(token[len(crypto.PREFIX) :])
    for cut in (len(raw) - 1, 28, 12, 5, 0):
        with pytest.raises(ValueError):
            crypto.decrypt(crypto.PREFIX + base64.b64encode(raw[:cut]).decode())


@pytest.mark.parametrize(
    "token",
    [
        "13912345678",  # a clear value
        "v2:AAAA",
        "V1:" + "A" * 40,
        "gAAAAABk",  # another library's token
    ],
)
def test_foreign_token_is_rejected(token):
    with pytest.raises(ValueError, match="not a Tongxin ciphertext"):
        crypto.decrypt(token)


@pytest.mark.parametrize("token", ["v1:", "v1:!!!!", "v1:abc", "v1:王芳"])
def test_malformed_token_raises_value_error(token):
    with pytest.raises(ValueError):
        crypto.decrypt(token)


# --- keyed_hash ----------------------------------------------------------------------------------


def test_keyed_hash_is_deterministic():
    assert crypto.keyed_hash("id", "11010519491231002X") == crypto.keyed_hash("id", "11010519491231002X")


def test_keyed_hash_shape():
    digest = crypto.keyed_hash("phone", "13912345678")
    assert re.fullmatch(r"[0-9a-f]{32}", digest)


@pytest.mark.parametrize("length", [1, 8, 16, 32, 64])
def test_keyed_hash_length(length):
    digest = crypto.keyed_hash("phone", "13912345678", length)
    assert len(digest) == length
    assert crypto.keyed_hash("phone", "13912345678", 64).startswith(digest)


def test_keyed_hash_is_at_most_64_hex():
    assert len(crypto.keyed_hash("phone", "13912345678", 100)) == 64


@pytest.mark.parametrize("blank", ["", None])
def test_keyed_hash_blank(blank):
    assert crypto.keyed_hash("id", blank) == ""


def test_keyed_hash_depends_on_key(data_key):
    first = crypto.keyed_hash("id", "11010519491231002X")
    data_key.DATA_KEY = KEY_B
    second = crypto.keyed_hash("id", "11010519491231002X")
    assert first != second
    data_key.DATA_KEY = KEY_A
    assert crypto.keyed_hash("id", "11010519491231002X") == first


def test_keyed_hash_depends_on_kind():
    assert crypto.keyed_hash("id", "13912345678") != crypto.keyed_hash("phone", "13912345678")


def test_keyed_hash_depends_on_value():
    assert crypto.keyed_hash("phone", "13912345678") != crypto.keyed_hash("phone", "13912345679")


def test_keyed_hash_kind_and_value_are_separated():
    """The separator keeps ("ab", "c") and ("a", "bc") apart."""
    assert crypto.keyed_hash("ab", "c") != crypto.keyed_hash("a", "bc")


def test_keyed_hash_is_not_a_plain_hash():
    import hashlib

    value = "13912345678"
    plain = {
        hashlib.sha256(value.encode()).hexdigest()[:32],
        hashlib.sha256(f"phone\0{value}".encode()).hexdigest()[:32],
    }
    assert crypto.keyed_hash("phone", value) not in plain


# --- suffix_hash ---------------------------------------------------------------------------------


def test_suffix_hash_equal_for_same_last_four_digits():
    assert crypto.suffix_hash("phone", "13912345678") == crypto.suffix_hash("phone", "13800005678")
    assert crypto.suffix_hash("phone", "13912345678") == crypto.suffix_hash("phone", "5678")


def test_suffix_hash_differs_for_different_last_four_digits():
    assert crypto.suffix_hash("phone", "13912345678") != crypto.suffix_hash("phone", "13912345679")
    assert crypto.suffix_hash("phone", "13912345678") != crypto.suffix_hash("phone", "13912344678")


def test_suffix_hash_shape():
    assert re.fullmatch(r"[0-9a-f]{16}", crypto.suffix_hash("id", "11010519491231002X"))


def test_suffix_hash_is_deterministic():
    assert crypto.suffix_hash("id", "11010519491231002X") == crypto.suffix_hash("id", "11010519491231002X")


def test_suffix_hash_depends_on_kind():
    assert crypto.suffix_hash("id", "13912345678") != crypto.suffix_hash("phone", "13912345678")


def test_suffix_hash_depends_on_key(data_key):
    first = crypto.suffix_hash("phone", "13912345678")
    data_key.DATA_KEY = KEY_B
    assert crypto.suffix_hash("phone", "13912345678") != first


def test_suffix_hash_differs_from_keyed_hash_of_the_suffix():
    """The tail has its own domain: the suffix hash of a number is not the exact hash of "5678"."""
    assert crypto.suffix_hash("phone", "13912345678") != crypto.keyed_hash("phone", "5678", 16)


@pytest.mark.parametrize(("digits", "same_as"), [(4, "99995678"), (6, "99345678"), (2, "99999978")])
def test_suffix_hash_digits(digits, same_as):
    value = "13912345678"
    assert crypto.suffix_hash("phone", value, digits) == crypto.suffix_hash("phone", same_as, digits)
    assert crypto.suffix_hash("phone", value, digits) != crypto.suffix_hash("phone", "00000000", digits)


@pytest.mark.parametrize(("value", "digits"), [("", 4), (None, 4), ("123", 4), ("12345", 6)])
def test_suffix_hash_too_short(value, digits):
    assert crypto.suffix_hash("phone", value, digits) == ""


def test_suffix_hash_exactly_long_enough():
    assert crypto.suffix_hash("phone", "1234") != ""


@pytest.mark.parametrize("digits", [0, -1])
def test_suffix_hash_needs_positive_digits(digits):
    with pytest.raises(ValueError):
        crypto.suffix_hash("phone", "13912345678", digits)
