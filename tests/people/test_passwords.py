"""The password policy: length, a shipped list of common and breached-pattern passwords, no composition rules."""

from __future__ import annotations

import pytest

from engine.errors import InvalidFormData
from engine.people.accounts import set_password, sign_in
from engine.people.passwords import MAX_LENGTH, common_passwords, password_problems
from tests.support.factories import make_user

REFUSED = ["aaaaaaaaaaaa", "password1234", "Password1234!", "p@ssw0rd2024", "P4ssw0rd!!!!", "123456789012",
           "qwertyuiopas", "1q2w3e4r5t6y", "abcabcabcabc", "ababababababab", "iloveyou1234", "Summer2024!!",
           "liverpool1892", "letmein123456", "passwordpassword", "zyxwvutsrqpo", "welcome-2026!", "frontdoor2026",
           "correct horse battery staple", "Safeguarding1"]
ACCEPTED = ["kettle orbit marble seven", "a long enough passphrase", "demo-password-only", "Tr0ub4dor&3xyz",
            "nine green kettles hum", "ZZZQ-river-lamp-4410", "tea at the quiet pier", "Δ日本語のパスワードの本です"]


@pytest.mark.parametrize("password", REFUSED)
def test_f14_common_and_breached_pattern_passwords_are_refused(password):
    assert password_problems(password) != []


@pytest.mark.parametrize("password", ACCEPTED)
def test_f14_long_unusual_passwords_need_no_digits_capitals_or_symbols(password):
    assert password_problems(password) == []


def test_f14_length_is_the_only_size_rule():
    assert password_problems("short words") == ["Password must be 12 characters or more"]
    assert password_problems("x" * 11 + "yz" * 200) == [f"Password must be {MAX_LENGTH} characters or fewer"]
    assert password_problems("kettle orbit marble seven " * 10)[0].startswith("Password must be")


def test_f14_the_users_own_name_is_refused():
    assert password_problems("amber-likes-tea-99", "amber") == ["Your password must not contain your user name"]


def test_f14_the_shipped_list_is_read_and_lower_case():
    listed = common_passwords()
    assert {"password", "qwerty", "letmein", "frontdoor"} <= listed and len(listed) > 200
    assert all(entry == entry.lower() and not entry.startswith("#") for entry in listed)


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "password1234"])
def test_f14_setting_a_weak_password_is_refused_and_changes_nothing(svc, password):
    make_user(svc, "ana", "police")
    set_password(svc, "ana", "kettle orbit marble seven", actor="admin")
    with pytest.raises(InvalidFormData) as refused:
        set_password(svc, "ana", password, actor="admin")
    assert list(refused.value.errors) == ["password"]
    assert sign_in(svc, "ana", "kettle orbit marble seven")[1].username == "ana"
