"""Letting people into a workshop: join codes, link tokens, participant tokens, throttling.

Three secrets, all drawn with ``secrets``:

- The **join code**, for typing or reading out: 10 symbols of Crockford's base32 alphabet
  (``0-9 A-Z`` without ``I L O U``), 5 bits each, so **50 bits** (about 1.1e15 codes). It is
  shown as ``XXXXX-XXXXX`` and matched after upper-casing, dropping dashes and spaces and
  reading ``I``/``L`` as ``1`` and ``O`` as ``0``. The throttle below lets one client address
  look up at most ``join_max_attempts / join_failure_cost`` unknown codes per window (4 a
  minute by default): even with 10,000 open workshops one address needs on average
  2^50 / 10,000 / 4 minutes, about 53 years, to hit any of them. A code only opens a workshop
  that is neither locked nor ended, and facilitators can rotate it.
- The **link token** of ``/join/{token}``: 16 random bytes, url-safe base64 (22 characters),
  **128 bits**; not guessable at any rate, case-sensitive.
- The **participant token**, handed out once when someone joins: 32 random bytes (43
  characters), **256 bits**. The store keeps only its SHA-256, so a leaked database does not
  let anybody act as a participant. Joining again with it gives back the same participant.

Code and link token are stored in clear: facilitators must be able to show them again.

Admission itself is a core command (``AdmitParticipant`` by the system actor); the core
checks the name, the working agreement, whether joining is locked and whether the workshop
ended. This module adds what the core cannot know: which code belongs to which workshop,
the participant tokens, and how often a client address may try.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import re
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple
from weakref import WeakKeyDictionary

from app.accounts import hash_token
from app.clock import Clock
from app.core.actors import SYSTEM
from app.core.errors import Rejection
from app.core.people import AdmitParticipant, clean_name
from app.core.state import WorkshopState
from app.live.hub import Hub
from app.store import JoinLink, Store
from app.workshops import WorkshopService

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
CODE_LENGTH = 10  # 50 bits
CODE_GROUP = 5  # shown as XXXXX-XXXXX
LINK_TOKEN_BYTES = 16  # 128 bits
PARTICIPANT_TOKEN_BYTES = 32  # 256 bits
PARTICIPANT_ID_BYTES = 12  # 96 bits; ids are not secrets, but must not collide
MAX_DRAWS = 8  # attempts to draw a code no other workshop holds
MAX_CACHED_TOKENS = 20_000  # per store; about 400 bytes each, so under 10 MB
MAX_THROTTLED_ADDRESSES = 100_000

_TYPO_FIXES = str.maketrans({"I": "1", "L": "1", "O": "0", "-": None, " ": None})
_CODE_PATTERN = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
_LINK_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")
_PARTICIPANT_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")

JoinStatus = Literal["open", "locked", "ended"]


def new_join_code() -> str:
    """A fresh join code in its normalised form (no dash)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """The join code someone typed, normalised; None when it cannot be a code."""
    code = text.strip().upper().translate(_TYPO_FIXES)
    return code if _CODE_PATTERN.fullmatch(code) else None


def format_code(code: str) -> str:
    """A normalised code as people read it: ``XXXXX-XXXXX``."""
    return f"{code[:CODE_GROUP]}-{code[CODE_GROUP:]}"


def new_link_token() -> str:
    """A fresh link token (128 bits)."""
    return secrets.token_urlsafe(LINK_TOKEN_BYTES)


def new_participant_token() -> str:
    """A fresh participant token (256 bits)."""
    return secrets.token_urlsafe(PARTICIPANT_TOKEN_BYTES)


def join_status(state: WorkshopState) -> JoinStatus:
    """Whether new people may join: ``open``, ``locked`` or ``ended``."""
    if state.phase == "ended":
        return "ended"
    return "locked" if state.locked else "open"


def throttle_key(host: str) -> str:
    """Whose budget a client address spends: an IPv4 address, or an IPv6 address's /64."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        # A subscriber usually gets a whole /64 and can pick any address in it.
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class ParticipantIdentity(NamedTuple):
    """Who a participant token stands for."""

    workshop_id: str
    participant_id: str


_TOKEN_CACHE: WeakKeyDictionary[Store, OrderedDict[str, ParticipantIdentity]] = WeakKeyDictionary()


async def resolve_participant_token(
    source: Store | WorkshopService, token: str | None
) -> ParticipantIdentity | None:
    """The workshop and participant a participant token was issued for, or None.

    Answers from an in-process cache after the first look-up (tokens never change owner).
    A participant a facilitator removed still resolves: check that the id is in the
    workshop's ``participants`` before letting the connection act.
    """
    store = source.store if isinstance(source, WorkshopService) else source
    if not token or not _PARTICIPANT_TOKEN_PATTERN.fullmatch(token):
        return None
    digest = hash_token(token)
    cache = _TOKEN_CACHE.setdefault(store, OrderedDict())
    identity = cache.get(digest)
    if identity is None:
        found = await asyncio.to_thread(store.load_participant_token, digest)
        if found is None:
            return None
        identity = ParticipantIdentity(*found)
        _remember_token(store, digest, identity)
    else:
        cache.move_to_end(digest)
    return identity


def _remember_token(store: Store, digest: str, identity: ParticipantIdentity) -> None:
    cache = _TOKEN_CACHE.setdefault(store, OrderedDict())
    cache[digest] = identity
    while len(cache) > MAX_CACHED_TOKENS:
        cache.popitem(last=False)


class JoinError(Exception):
    """Why someone may not join; ``code`` is stable (the web layer maps it to a status)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Joined:
    """A participant is in; the token goes to the browser once and is never stored in clear."""

    workshop_id: str
    participant_id: str
    participant_token: str
    name: str
    rejoined: bool


@dataclass
class JoinThrottle:
    """A token bucket per client address, refilled from the injected clock.

    Each address may spend ``capacity`` attempts; they come back evenly over ``window_s``.
    ``take`` refuses an attempt the bucket cannot pay for and says how long to wait;
    ``charge`` takes a penalty (a failed look-up) without refusing. Past ``max_addresses``
    the least recently seen address is forgotten: its bucket has refilled the longest.
    """

    capacity: int
    window_s: float
    max_addresses: int = MAX_THROTTLED_ADDRESSES
    _buckets: OrderedDict[str, tuple[float, datetime]] = field(
        default_factory=OrderedDict, init=False, repr=False
    )

    @property
    def rate_per_s(self) -> float:
        """Attempts that come back per second."""
        return self.capacity / self.window_s

    def _level(self, address: str, now: datetime) -> float:
        tokens, at = self._buckets.get(address, (float(self.capacity), now))
        elapsed = max(0.0, (now - at).total_seconds())
        return min(float(self.capacity), tokens + elapsed * self.rate_per_s)

    def _set(self, address: str, tokens: float, now: datetime) -> None:
        self._buckets[address] = (tokens, now)
        self._buckets.move_to_end(address)
        while len(self._buckets) > self.max_addresses:
            self._buckets.popitem(last=False)

    def take(self, address: str, now: datetime, cost: int = 1) -> float | None:
        """Spend ``cost`` attempts; None when allowed, else the seconds to wait."""
        tokens = self._level(address, now)
        if tokens < cost:
            return max(1.0, math.ceil((cost - tokens) / self.rate_per_s))
        self._set(address, tokens - cost, now)
        return None

    def charge(self, address: str, now: datetime, cost: int) -> None:
        """Spend ``cost`` more attempts (down to none left), e.g. for an unknown code."""
        self._set(address, max(0.0, self._level(address, now) - cost), now)


@dataclass
class JoinDesk:
    """Join codes and links of every workshop, and the admission of participants."""

    hub: Hub
    store: Store
    clock: Clock
    throttle: JoinThrottle

    async def links(self, workshop_id: str) -> JoinLink:
        """The workshop's current code and link token, drawn on first use."""
        for _ in range(MAX_DRAWS):
            link = await asyncio.to_thread(self.store.load_join_link, workshop_id)
            if link is not None:
                return link
            await self._draw(workshop_id)  # a lost race or a taken code: read again
        raise RuntimeError(f"could not draw a join code for workshop {workshop_id!r}")

    async def rotate(self, workshop_id: str) -> JoinLink:
        """Replace code and link token; the old ones stop working at once."""
        for _ in range(MAX_DRAWS):
            link = await self._draw(workshop_id)
            if link is not None:
                return link
        raise RuntimeError(f"could not draw a join code for workshop {workshop_id!r}")

    async def _draw(self, workshop_id: str) -> JoinLink | None:
        link = JoinLink(workshop_id, new_join_code(), new_link_token(), self.clock.now())
        saved = await asyncio.to_thread(self.store.save_join_link, link)
        return link if saved else None

    async def find(self, code_or_token: str) -> WorkshopState:
        """The workshop a join code or link token opens; JoinError ``unknown_join_code``."""
        code = normalise_code(code_or_token)
        link: JoinLink | None = None
        if code is not None:
            link = await asyncio.to_thread(self.store.join_link_by_code, code)
        if link is None and _LINK_TOKEN_PATTERN.fullmatch(code_or_token):
            link = await asyncio.to_thread(self.store.join_link_by_token, code_or_token)
        state = await self.hub.get(link.workshop_id) if link is not None else None
        if state is None:
            raise JoinError("unknown_join_code", "no workshop has this join code or link")
        return state

    async def join(
        self,
        code_or_token: str,
        *,
        name: str,
        attributes: Mapping[str, str],
        agreement: str | None,
        participant_token: str | None = None,
    ) -> Joined:
        """Admit a new participant, or recognise one who comes back with their token."""
        state = await self.find(code_or_token)
        status = join_status(state)
        if status == "ended":
            raise JoinError("workshop_ended", f"workshop {state.id!r} has ended")
        identity = await resolve_participant_token(self.store, participant_token)
        if participant_token and identity is not None and identity.workshop_id == state.id:
            participant = state.participants.get(identity.participant_id)
            if participant is None:
                raise JoinError(
                    "participant_removed", "a facilitator took this participant out of the room"
                )
            # People already in come back through a locked door: locking keeps new people out.
            return Joined(state.id, participant.id, participant_token, participant.name, True)
        if status == "locked":
            raise JoinError("joining_locked", f"joining workshop {state.id!r} is locked")
        not_asked = sorted(set(attributes) - set(state.join_attributes))
        if not_asked:
            raise JoinError("attribute_not_asked", f"this workshop does not ask for {not_asked}")
        participant_id = secrets.token_urlsafe(PARTICIPANT_ID_BYTES)
        admit = AdmitParticipant(
            participant_id=participant_id,
            name=name,
            attributes=dict(attributes),
            agreement=agreement or "",
        )
        outcome = await self.hub.submit(state.id, admit, SYSTEM)
        if isinstance(outcome, Rejection):
            raise JoinError(outcome.code, outcome.message)
        token = new_participant_token()
        digest = hash_token(token)
        await asyncio.to_thread(
            self.store.save_participant_token, digest, state.id, participant_id, self.clock.now()
        )
        _remember_token(self.store, digest, ParticipantIdentity(state.id, participant_id))
        after = await self.hub.get(state.id)
        joined = after.participants.get(participant_id) if after is not None else None
        shown = joined.name if joined is not None else clean_name(name)
        return Joined(state.id, participant_id, token, shown, False)
