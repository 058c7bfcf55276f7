"""Single sign-on settings: the providers file is checked at start-up, with errors naming what is wrong."""

from __future__ import annotations

import json

import pytest

from engine.config import Settings
from engine.errors import InvalidSetting

GOOD = {"key": "council", "label": "Council account", "issuer": "https://login.council.example/realms/staff",
        "client_id": "frontdoor", "client_secret": "s3cret", "scopes": ["openid", "profile", "groups"],
        "groups": {"mash-duty": {"groups": ["front_door"], "role": "front_door"}}}


def settings_with(tmp_path, providers, **env):
    path = tmp_path / "providers.json"
    path.write_text(json.dumps({"providers": providers}) if not isinstance(providers, str) else providers)
    return Settings.from_env({"FRONTDOOR_OIDC_PROVIDERS": str(path), **env})


def test_no_file_means_no_providers_and_passwords_on():
    settings = Settings.from_env({})
    assert settings.identity_providers == () and settings.local_passwords is True


def test_a_good_file_is_read(tmp_path):
    settings = settings_with(tmp_path, [GOOD], FRONTDOOR_LOCAL_PASSWORDS="off")
    [provider] = settings.identity_providers
    assert (provider.key, provider.label, provider.issuer, provider.scopes) == (
        "council", "Council account", "https://login.council.example/realms/staff", ("openid", "profile", "groups"))
    assert provider.rules[0].groups == ("front_door",) and provider.rules[0].role == "front_door"
    assert provider.approve_new is False and provider.origin == "https://login.council.example"
    assert settings.local_passwords is False


@pytest.mark.parametrize(("change", "words"), [
    ({"issuer": "http://login.council.example"}, "provider 'council': 'issuer' must be an https URL"),
    ({"scopes": ["profile"]}, "'scopes' must be a list that includes 'openid'"),
    ({"client_id": ""}, "'client_id' must be text"),
    ({"key": "Council Account"}, "provider 1: 'key' must be lower-case"),
    ({"approve_new": "yes"}, "'approve_new' must be true or false"),
    ({"groups": {}}, "'groups' must map the provider's group ids"),
    ({"groups": {"g1": {"groups": ["front door"], "role": "front_door"}}}, "group 'g1': frontdoor group ids"),
    ({"groups": {"g1": {"groups": ["front_door"]}}}, "group 'g1': 'role' must be a frontdoor role"),
])
def test_a_bad_provider_stops_start_up_naming_the_field(tmp_path, change, words):
    with pytest.raises(InvalidSetting) as caught:
        settings_with(tmp_path, [{**GOOD, **change}])
    assert words in caught.value.message and caught.value.message.startswith("FRONTDOOR_OIDC_PROVIDERS")


def test_a_file_that_is_not_json_or_missing_or_duplicated_is_refused(tmp_path):
    with pytest.raises(InvalidSetting, match="is not valid JSON"):
        settings_with(tmp_path, "{not json")
    with pytest.raises(InvalidSetting, match="non-empty 'providers' list"):
        settings_with(tmp_path, [])
    with pytest.raises(InvalidSetting, match="same 'key'"):
        settings_with(tmp_path, [GOOD, GOOD])
    with pytest.raises(InvalidSetting, match="cannot be read"):
        Settings.from_env({"FRONTDOOR_OIDC_PROVIDERS": str(tmp_path / "missing.json")})


def test_local_passwords_off_needs_a_provider_and_a_clear_value():
    with pytest.raises(InvalidSetting, match="can be off only when FRONTDOOR_OIDC_PROVIDERS"):
        Settings.from_env({"FRONTDOOR_LOCAL_PASSWORDS": "off"})
    with pytest.raises(InvalidSetting, match="FRONTDOOR_LOCAL_PASSWORDS must be on or off"):
        Settings.from_env({"FRONTDOOR_LOCAL_PASSWORDS": "maybe"})
