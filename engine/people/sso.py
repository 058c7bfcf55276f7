"""Single sign-on use cases: start a sign-in at a provider, finish it, approve new people, sign out there too.

A sign-in request keeps its state (as a hash), nonce and PKCE verifier on the server and is used once:
the callback marks it used before anything else, so a replayed callback (or a second answer to the same
request) is refused. The provider's account (issuer and subject) is linked to one person here, created at
the first sign-in; the person's role and groups come from the provider's groups claim through the mapping
in the providers file at every sign-in, so a change at the provider takes effect at the next sign-in.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from engine import audit
from engine.errors import FrontdoorError, InvalidSetting, NotFound, NotPermitted
from engine.identity_providers import IdentityProvider
from engine.people import oidc
from engine.people.accounts import SignedIn, open_session, token_hash
from engine.people.directory import ROLES
from engine.people.oidc import SsoRefused
from engine.runtime.services import Services
from engine.store.accounts import AccountSession
from engine.store.models import Group, Membership, User
from engine.store.sso import SsoIdentity, SsoRequest, SsoSession

REQUEST_MINUTES = 10  # a sign-in must come back from the provider within this
_NOT_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class AwaitingApproval(FrontdoorError):
    """The provider signed the person in, but an administrator has still to approve them here."""

    code = "sso_awaiting_approval"
    status = 403


@dataclass(frozen=True)
class Finished:
    """A completed single sign-on: the session token for the cookie, who, and where they were going."""

    token: str
    who: SignedIn
    next_path: str


def check_providers(providers: tuple[IdentityProvider, ...]) -> None:
    """At start-up: every role the claim mapping gives is a frontdoor role; raises InvalidSetting."""
    for provider in providers:
        for rule in provider.rules:
            if rule.role not in ROLES:
                raise InvalidSetting(f"FRONTDOOR_OIDC_PROVIDERS: provider '{provider.key}', group "
                                     f"'{rule.provider_group}': no role '{rule.role}' (roles: {', '.join(ROLES)})",
                                     setting="FRONTDOOR_OIDC_PROVIDERS")


def provider(svc: Services, key: str) -> IdentityProvider:
    """The configured provider ``key``; raises NotFound."""
    for candidate in svc.settings.identity_providers:
        if candidate.key == key:
            return candidate
    raise NotFound("There is no such way to sign in")


def begin(svc: Services, key: str, redirect_uri: str, next_path: str = "") -> tuple[str, str]:
    """Start a sign-in at provider ``key``: returns (the provider's URL for the browser, the state the
    browser keeps in a cookie so the answer can only finish the sign-in this browser started)."""
    chosen = provider(svc, key)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    url = oidc.authorization_url(chosen, redirect_uri, state, nonce, verifier)
    now = svc.now()
    with svc.db.transaction() as session:
        # requests never answered are of no use once late: cleared as new ones arrive
        session.execute(delete(SsoRequest).where(SsoRequest.created_at < now - timedelta(days=1)))
        session.add(SsoRequest(state_hash=token_hash(state), provider=key, nonce=nonce, code_verifier=verifier,
                               next_path=next_path[:500], created_at=now))
    return url, state


def finish(svc: Services, key: str, *, state: str, browser_state: str, code: str, redirect_uri: str,
           error: str = "", address: str = "") -> Finished:
    """Finish a sign-in from the provider's answer; raises SsoRefused or AwaitingApproval (both audited)."""
    chosen = provider(svc, key)
    try:
        request = _claim_request(svc, key, state, browser_state)
        if error or not code:
            raise SsoRefused(f"{chosen.label} did not sign you in. Start again")
        id_token = oidc.redeem(chosen, code, request.code_verifier, redirect_uri)
        claims = oidc.verify_id_token(chosen, id_token, request.nonce, svc.now())
        user = _person(svc, chosen, claims)
    except (SsoRefused, AwaitingApproval) as exc:
        with svc.db.transaction() as session:
            audit.record(session, at=svc.now(), actor="-", action="sso_sign_in_failed", subject_type="provider",
                         subject_id=key, reason=exc.message, address=address[:64])
        raise
    token, who = open_session(svc, user, address[:64])
    with svc.db.transaction() as session:
        session.add(SsoSession(session_id=who.session_id, provider=key, id_token=id_token))
        audit.record(session, at=svc.now(), actor=who.username, action="sso_signed_in", subject_type="user",
                     subject_id=who.username, provider=key, subject=claims["sub"][:255])
    return Finished(token, who, request.next_path)


def _claim_request(svc: Services, key: str, state: str, browser_state: str) -> SsoRequest:
    """Mark the sign-in request used (once only) and return it; raises SsoRefused."""
    if not state or not browser_state or not secrets.compare_digest(state, browser_state):
        raise SsoRefused("This sign-in was not started in this browser, or has already been used. Start again")
    now = svc.now()
    with svc.db.transaction() as session:
        claimed = session.execute(update(SsoRequest).where(SsoRequest.state_hash == token_hash(state),
                                                           SsoRequest.provider == key,
                                                           SsoRequest.used_at.is_(None))
                                  .values(used_at=now)).rowcount
        request = session.get(SsoRequest, token_hash(state))
    if request is None or request.provider != key:
        raise SsoRefused("This sign-in is not one we started. Start again")
    if not claimed:
        raise SsoRefused("This sign-in link has already been used. Start again")
    if request.created_at + timedelta(minutes=REQUEST_MINUTES) < now:
        raise SsoRefused("This sign-in took too long to come back. Start again")
    return request


def _access(chosen: IdentityProvider, claims: dict) -> tuple[str, list[str]]:
    """(role, frontdoor groups) from the provider's groups claim; the first matching rule gives the role."""
    held = claims.get(chosen.groups_claim) or []
    held = {held} if isinstance(held, str) else {str(g) for g in held} if isinstance(held, list) else set()
    matched = [rule for rule in chosen.rules if rule.provider_group in held]
    if not matched:
        raise SsoRefused(f"Your {chosen.label} account is not in a group that uses frontdoor. Ask your manager")
    return matched[0].role, sorted({g for rule in matched for g in rule.groups})


def _person(svc: Services, chosen: IdentityProvider, claims: dict) -> User:
    """The person this provider account signs in as (created at the first sign-in), access re-applied."""
    role, groups = _access(chosen, claims)
    now = svc.now()
    with svc.db.transaction() as session:
        identity = session.scalar(select(SsoIdentity).where(SsoIdentity.issuer == chosen.issuer,
                                                            SsoIdentity.subject == claims["sub"]))
        if identity is None:
            identity = _create(session, chosen, claims, role, now)
        user = session.get(User, identity.user_id)
        user.display_name = str(claims.get("name") or user.display_name)[:200]
        user.email = str(claims.get("email") or user.email)[:200]
        _apply(session, user, role, groups, chosen.key, now)
        identity.last_sign_in_at = now
        pending, active = identity.approved_at is None, user.active
    if pending:
        raise AwaitingApproval("Your account is waiting for an administrator to approve it. "
                               "You can sign in once they have")
    if not active:
        raise SsoRefused("Your frontdoor account is switched off. Ask an administrator")
    return user


def _create(session, chosen: IdentityProvider, claims: dict, role: str, now: datetime) -> SsoIdentity:
    wanted = str(claims.get(chosen.username_claim) or str(claims.get("email", "")).split("@")[0] or claims["sub"])
    base = _NOT_NAME.sub("-", wanted).strip(".-_")[:70] or "person"
    username, n = base, 1
    # never joined to an existing account by name: that would let a provider take over a local account
    while session.scalar(select(User.id).where(User.username == username)) is not None:
        n += 1
        username = f"{base}-{n}"
    user = User(username=username, display_name=username, email="", role=role, agency=chosen.agency,
                password_hash=None, active=not chosen.approve_new, created_at=now)
    session.add(user)
    session.flush()
    identity = SsoIdentity(issuer=chosen.issuer, subject=claims["sub"], provider=chosen.key, user_id=user.id,
                           created_at=now, approved_at=None if chosen.approve_new else now,
                           approved_by=None if chosen.approve_new else f"provider:{chosen.key}")
    session.add(identity)
    audit.record(session, at=now, actor=username, action="sso_person_created", subject_type="user",
                 subject_id=username, provider=chosen.key, awaiting_approval=chosen.approve_new)
    return identity


def _apply(session, user: User, role: str, groups: list[str], key: str, now: datetime) -> None:
    """Make the person's role and groups what the provider's claims map to; audited when they change."""
    before = sorted(session.scalars(select(Membership.group_id).where(Membership.user_id == user.id)))
    if before == groups and user.role == role:
        return
    for gid in groups:
        if session.get(Group, gid) is None:
            session.add(Group(id=gid, name=gid.replace("_", " ").capitalize()))
    session.flush()
    session.execute(delete(Membership).where(Membership.user_id == user.id))
    session.add_all(Membership(user_id=user.id, group_id=gid) for gid in groups)
    audit.record(session, at=now, actor=f"provider:{key}", action="sso_access_changed", subject_type="user",
                 subject_id=user.username, role_before=user.role, role=role, groups_before=before, groups=groups)
    user.role = role


def pending_people(svc: Services) -> list[dict]:
    """People a provider created who wait for an administrator's approval, oldest first."""
    labels = {p.key: p.label for p in svc.settings.identity_providers}
    with svc.db.read() as session:
        rows = session.execute(select(User, SsoIdentity).join(SsoIdentity, SsoIdentity.user_id == User.id)
                               .where(SsoIdentity.approved_at.is_(None)).order_by(SsoIdentity.created_at)).all()
        return [{"username": u.username, "display_name": u.display_name, "email": u.email, "role": u.role,
                 "provider": labels.get(i.provider, i.provider), "since": i.created_at} for u, i in rows]


def approve(svc: Services, username: str, actor: str) -> None:
    """An administrator lets a person a provider created sign in; audited. Raises NotPermitted, NotFound."""
    now = svc.now()
    with svc.db.transaction() as session:
        admin = session.scalar(select(User).where(User.username == actor))
        if admin is None or admin.role != "admin" or not admin.active:
            raise NotPermitted("Only an administrator can approve a new person")
        row = session.execute(select(User, SsoIdentity).join(SsoIdentity, SsoIdentity.user_id == User.id)
                              .where(User.username == username, SsoIdentity.approved_at.is_(None))).first()
        if row is None:
            raise NotFound(f"No one called '{username}' is waiting for approval")
        user, identity = row
        identity.approved_at, identity.approved_by, user.active = now, actor, True
        audit.record(session, at=now, actor=actor, action="sso_person_approved", subject_type="user",
                     subject_id=username, provider=identity.provider)


def sign_out_url(svc: Services, token: str | None, after: str) -> str | None:
    """Where to send the browser to sign out at the provider too (single sign-out), or None."""
    if not token:
        return None
    with svc.db.read() as session:
        row = session.execute(select(SsoSession).join(AccountSession, AccountSession.id == SsoSession.session_id)
                              .where(AccountSession.token_hash == token_hash(token))).scalar()
        if row is None:
            return None
        key, id_token = row.provider, row.id_token
    try:
        chosen = provider(svc, key)
    except NotFound:
        return None  # the provider has since been removed from the file
    return oidc.end_session_url(chosen, id_token, after)
