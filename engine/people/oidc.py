"""The OpenID Connect protocol with a provider: discovery, keys, the authorization code with PKCE, ID tokens.

Authlib's OAuth 2.0 client builds the authorization URL (S256 code challenge) and redeems the code with
the verifier; joserfc (Authlib's JOSE library) checks the ID token's signature against the provider's
published keys and its claims (iss, aud, exp, iat, nonce). Discovery documents and key sets are cached for
an hour; an ID token signed with a key the cache does not know fetches the keys once more (rotation).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2 import OAuth2Error
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from engine.errors import FrontdoorError
from engine.identity_providers import IdentityProvider

CACHE_SECONDS = 3600
TIMEOUT = 10  # seconds for each call to a provider
LEEWAY = 60  # seconds of clock difference allowed between the provider and us
ALGORITHMS = ("RS256", "ES256", "PS256")
_cache: dict[tuple[str, str], tuple[float, Any]] = {}
_lock = threading.Lock()


class SsoRefused(FrontdoorError):
    """Single sign-on did not complete: the provider's answer failed a check, or was replayed or late."""

    code = "sso_refused"
    status = 401


def _get_json(url: str, what: str, provider: IdentityProvider) -> dict:
    try:
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SsoRefused(f"{provider.label} could not be reached ({what}). Try again in a few minutes") from exc
    if not isinstance(data, dict):
        raise SsoRefused(f"{provider.label} sent an unusable {what}")
    return data


def _cached(kind: str, provider: IdentityProvider, fetch, refresh: bool = False) -> Any:
    key = (kind, provider.issuer)
    with _lock:
        hit = _cache.get(key)
    if hit and not refresh and hit[0] > time.monotonic():
        return hit[1]
    value = fetch()
    with _lock:
        _cache[key] = (time.monotonic() + CACHE_SECONDS, value)
    return value


def discovery(provider: IdentityProvider) -> dict:
    """The provider's /.well-known/openid-configuration (cached); its issuer must be the one configured."""
    def fetch() -> dict:
        doc = _get_json(f"{provider.issuer}/.well-known/openid-configuration", "its configuration", provider)
        if doc.get("issuer") != provider.issuer:
            raise SsoRefused(f"{provider.label} names a different issuer than the one configured")
        for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(doc.get(needed), str):
                raise SsoRefused(f"{provider.label}'s configuration has no {needed}")
        return doc
    return _cached("discovery", provider, fetch)


def _keys(provider: IdentityProvider, refresh: bool = False) -> KeySet:
    def fetch() -> KeySet:
        data = _get_json(discovery(provider)["jwks_uri"], "its signing keys", provider)
        try:
            return KeySet.import_key_set(data)
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise SsoRefused(f"{provider.label} published signing keys that cannot be read") from exc
    return _cached("jwks", provider, fetch, refresh)


def _client(provider: IdentityProvider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(provider.client_id, provider.client_secret, scope=" ".join(provider.scopes),
                         redirect_uri=redirect_uri, code_challenge_method="S256")


def authorization_url(provider: IdentityProvider, redirect_uri: str, state: str, nonce: str, verifier: str) -> str:
    """Where to send the browser: the provider's sign-in, with state, nonce and the S256 code challenge."""
    with _client(provider, redirect_uri) as client:
        url, _ = client.create_authorization_url(discovery(provider)["authorization_endpoint"], state=state,
                                                 nonce=nonce, code_verifier=verifier)
    return url


def redeem(provider: IdentityProvider, code: str, verifier: str, redirect_uri: str) -> str:
    """Exchange the authorization code (with the PKCE verifier and the client's secret); returns the ID token."""
    try:
        with _client(provider, redirect_uri) as client:
            token = client.fetch_token(discovery(provider)["token_endpoint"], code=code, code_verifier=verifier,
                                       timeout=TIMEOUT)
    except (OAuth2Error, requests.RequestException, ValueError) as exc:
        raise SsoRefused(f"{provider.label} did not accept this sign-in. Start again") from exc
    if not isinstance(token.get("id_token"), str):
        raise SsoRefused(f"{provider.label} did not send an ID token")
    return token["id_token"]


def verify_id_token(provider: IdentityProvider, id_token: str, nonce: str, now: datetime) -> dict:
    """The ID token's claims once its signature, issuer, audience, times and nonce all check out."""
    try:
        try:
            token = jwt.decode(id_token, _keys(provider), algorithms=ALGORITHMS)
        except JoseError:  # perhaps a key the provider has rotated in since the keys were cached
            token = jwt.decode(id_token, _keys(provider, refresh=True), algorithms=ALGORITHMS)
    except (JoseError, ValueError) as exc:
        raise SsoRefused(f"The answer from {provider.label} was not signed with its published keys") from exc
    registry = JWTClaimsRegistry(now=int(now.timestamp()), leeway=LEEWAY,
                                 iss={"essential": True, "value": provider.issuer},
                                 aud={"essential": True, "value": provider.client_id},
                                 sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
                                 nonce={"essential": True, "value": nonce})
    try:
        registry.validate(token.claims)
    except JoseError as exc:
        raise SsoRefused(f"The answer from {provider.label} failed a check ({_claim_words(exc)})") from exc
    if token.claims["iat"] > now.timestamp() + LEEWAY:
        raise SsoRefused(f"The answer from {provider.label} failed a check (issued in the future)")
    return token.claims


def _claim_words(exc: JoseError) -> str:
    """Which check failed, in words (never the token itself)."""
    words = {"aud": "it was meant for another service", "exp": "it has expired", "iss": "another issuer sent it",
             "nonce": "it does not belong to this sign-in", "iat": "its issue time", "sub": "it names no one"}
    return words.get(getattr(exc, "claim", ""), "its contents")


def end_session_url(provider: IdentityProvider, id_token: str, after: str) -> str | None:
    """The provider's single sign-out address for this session, or None when it offers none."""
    try:
        endpoint = discovery(provider).get("end_session_endpoint")
    except SsoRefused:
        return None  # signing out of frontdoor must not wait on the provider being up
    if not isinstance(endpoint, str):
        return None
    joiner = "&" if "?" in endpoint else "?"
    return endpoint + joiner + urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": after,
                                          "client_id": provider.client_id})
