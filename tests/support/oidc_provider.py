"""A real OpenID Connect provider on loopback for the tests: discovery, JWKS, authorize, token, end session.

A small Flask app served by werkzeug in a thread on 127.0.0.1. ``/authorize`` signs in ``user`` at once
(no login page) and redirects back with a code; ``/token`` checks the client's secret, the redirect URI
and the PKCE verifier (S256), and answers with an ID token signed by an RSA key it publishes. Switches make
it misbehave the ways a real provider, or an attacker in between, could: sign with a key it does not
publish, name another audience, send an expired token, or send back an earlier sign-in's ID token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server


@dataclass
class Behaviour:
    """How the provider answers: who signs in, and the ways to misbehave."""

    claims: dict = field(default_factory=dict)
    rogue_key: bool = False  # sign with a key that is not in the published JWKS
    audience: str | None = None  # name this audience instead of the client's
    lifetime: int = 300  # seconds the ID token lasts (negative: already expired)
    replay_token: str | None = None  # send this earlier ID token instead of a new one


class LoopbackProvider:
    """The provider, started on a free port; ``issuer`` is its URL."""

    def __init__(self, now: Callable[[], datetime], client_id: str = "frontdoor", client_secret: str = "s3cret"):
        self.now, self.client_id, self.client_secret = now, client_id, client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        self.rogue = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        self.behaviour = Behaviour()
        self.codes: dict[str, dict] = {}
        self.issued: list[str] = []
        self.ended: list[dict] = []
        self._server = make_server("127.0.0.1", 0, self._app(), threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackProvider:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def sign_in_as(self, sub: str, groups: list[str], **claims) -> None:
        """The person the next /authorize signs in, with the provider's group ids."""
        self.behaviour.claims = {"sub": sub, "groups": groups, **claims}

    def _app(self) -> Flask:
        app = Flask("loopback_provider")
        app.add_url_rule("/.well-known/openid-configuration", view_func=self._discovery)
        app.add_url_rule("/jwks", view_func=lambda: jsonify({"keys": [self.key.as_dict(private=False)]}))
        app.add_url_rule("/authorize", view_func=self._authorize)
        app.add_url_rule("/token", view_func=self._token, methods=["POST"])
        app.add_url_rule("/end-session", view_func=self._end_session)
        return app

    def _discovery(self):
        return jsonify({"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                        "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                        "end_session_endpoint": f"{self.issuer}/end-session", "response_types_supported": ["code"],
                        "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
                        "code_challenge_methods_supported": ["S256"]})

    def _authorize(self):
        args = request.args
        if args.get("client_id") != self.client_id or args.get("response_type") != "code":
            abort(400)
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            abort(400)  # this provider insists on PKCE
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": args.get("nonce"), "challenge": args["code_challenge"],
                            "redirect_uri": args["redirect_uri"], "claims": dict(self.behaviour.claims)}
        return redirect(f"{args['redirect_uri']}?{urlencode({'code': code, 'state': args.get('state', '')})}")

    def _token(self):
        auth = request.authorization
        client = (auth.username, auth.password) if auth else (request.form.get("client_id"),
                                                              request.form.get("client_secret"))
        if client != (self.client_id, self.client_secret):
            return jsonify({"error": "invalid_client"}), 401
        grant = self.codes.pop(request.form.get("code", ""), None)
        verifier = request.form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant is None or grant["redirect_uri"] != request.form.get("redirect_uri") or \
                not secrets.compare_digest(challenge, grant["challenge"]):
            return jsonify({"error": "invalid_grant"}), 400
        id_token = self.behaviour.replay_token or self._id_token(grant)
        self.issued.append(id_token)
        return jsonify({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                        "id_token": id_token})

    def _id_token(self, grant: dict) -> str:
        now = int(self.now().timestamp())
        claims = {**grant["claims"], "iss": self.issuer, "aud": self.behaviour.audience or self.client_id,
                  "iat": now, "exp": now + self.behaviour.lifetime, "nonce": grant["nonce"]}
        key = self.rogue if self.behaviour.rogue_key else self.key
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)

    def _end_session(self):
        self.ended.append(dict(request.args))
        return redirect(request.args.get("post_logout_redirect_uri") or "/")
