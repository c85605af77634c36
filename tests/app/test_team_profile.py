"""The "Team sandbox" profile kind (D24, issue 18 item 4): a shared sandbox server's URL, its
key and secret in the keyring; https, or http only to this computer or on a LAN the operator
marked trusted (then the app keeps a warning up)."""

from __future__ import annotations

import pytest

from desktop.config import Environment, Profile, ProfileError, ProfileKind, ProfileStore


def team(url: str, trusted_lan: bool = False) -> Profile:
    return Profile("Team", ProfileKind.TEAM_SANDBOX, base_url=url, trusted_lan=trusted_lan)


@pytest.mark.parametrize(
    "url",
    [
        "https://sandbox.team.example:8443/v0.9",
        "http://127.0.0.1:8080/v0.9",
        "http://localhost/v0.9",
    ],
)
def test_https_or_loopback_http_is_accepted_without_a_warning(url):
    p = team(url).validate()
    assert p.url == url and not p.insecure_http
    assert p.environment is Environment.SANDBOX and p.needs_credentials


@pytest.mark.parametrize(
    "url", ["http://192.168.1.20:8080/v0.9", "http://127.evil.example/v0.9", "http://sbx.lan/v0.9"]
)
def test_plain_http_beyond_this_computer_needs_the_trusted_lan_toggle(url):
    with pytest.raises(ProfileError) as e:
        team(url).validate()
    assert e.value.field == "base_url" and "https" in str(e.value)
    p = team(url, trusted_lan=True).validate()
    assert p.insecure_http  # the app shows the warning banner while this profile is used


@pytest.mark.parametrize("url", ["", "ftp://host/v0.9", "sandbox.team.example"])
def test_a_team_sandbox_needs_a_real_url(url):
    with pytest.raises(ProfileError):
        team(url, trusted_lan=True).validate()


def test_trusted_lan_is_kept_in_the_profiles_file_and_secrets_are_not(tmp_path):
    store = ProfileStore(tmp_path / "profiles.json")
    store.upsert(team("http://10.0.0.5:8080/v0.9", trusted_lan=True))
    store.save()
    text = (tmp_path / "profiles.json").read_text()
    assert "apiSecret" not in text and "secret" not in text
    loaded = ProfileStore.load(tmp_path / "profiles.json").get("Team")
    assert loaded is not None and loaded.kind is ProfileKind.TEAM_SANDBOX
    assert loaded.trusted_lan and loaded.insecure_http
    # The toggle means nothing for other kinds: a custom http LAN URL stays refused.
    with pytest.raises(ProfileError):
        Profile(
            "C", ProfileKind.CUSTOM, base_url="http://10.0.0.5/v0.9", trusted_lan=True
        ).validate()
