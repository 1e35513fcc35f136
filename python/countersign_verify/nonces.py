"""Replay protection: the nonce store interface and the in-memory default.

A verified signature's ``nonce`` is single use. The verifiers record every nonce of the
signatures that verified under the key ``"sig-nonce:" + nonce`` (the nonce alone, not scoped by
label or ``keyid``: a signer uses one nonce for all signatures of one request, so the same
request is refused whichever subset of its signatures is presented).

Any object with ``consume_once(key, ttl) -> bool`` is a :class:`NonceStore`. Behind a load
balancer, give every process the same shared store, for example Redis (``redis-py``)::

    class RedisNonceStore:
        def __init__(self, client):
            self.client = client

        def consume_once(self, key, ttl):
            # SET NX: only the first caller within the TTL writes it. ttl None: keep it.
            return bool(self.client.set(key, b"1", nx=True,
                                        ex=None if ttl is None else max(1, math.ceil(ttl))))

A store that raises makes the request fail closed with ``store_unavailable`` (503).
"""

from __future__ import annotations

import heapq
import threading
import time
from typing import Callable, Optional, Protocol, runtime_checkable

from .errors import VerificationError

__all__ = [
    "NonceCache",
    "NonceStore",
    "ReplayProtectionDisabledWarning",
    "default_nonce_store",
]

#: The prefix of every key the verifiers give a nonce store.
NONCE_KEY_PREFIX = "sig-nonce:"


@runtime_checkable
class NonceStore(Protocol):
    """Where used nonces are remembered: one atomic "first use?" operation.

    ``consume_once(key, ttl)`` returns ``True`` the first time ``key`` is presented within
    ``ttl`` seconds, and records it; ``False`` while it is recorded. ``ttl`` is ``None`` when the
    signature has no time bound (``max_age=None`` and no ``expires``): keep it for ever. It must
    be atomic across every process that verifies for the same API (Redis ``SET key 1 NX EX
    ttl``, an SQL ``INSERT`` on a primary key). Raise on failure; never answer ``True`` when
    unsure.
    """

    def consume_once(self, key: str, ttl: Optional[float]) -> bool: ...


class ReplayProtectionDisabledWarning(UserWarning):
    """Emitted when a verifier is called with ``replay_protection=False``."""


class NonceCache:
    """The in-memory :class:`NonceStore` for one process: thread-safe, bounded, with expiry.

    Each key is kept for the ``ttl`` its caller gives (the time its signature stays
    acceptable). At most ``max_entries`` live keys are held; when full, a new key is refused
    with ``VerificationError('store_full')`` (503): a live nonce is never dropped, because that
    would reopen a replay. Several processes need a shared store instead (see the module).

    >>> cache = NonceCache()
    >>> cache.consume_once("sig-nonce:abc", 300), cache.consume_once("sig-nonce:abc", 300)
    (True, False)
    """

    def __init__(
        self,
        ttl: float = 360,
        max_entries: int = 100_000,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValueError("max_entries must be a positive integer")
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._expiry)

    def _purge(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            expires, key = heapq.heappop(self._heap)
            if self._expiry.get(key) == expires:
                del self._expiry[key]

    def consume_once(self, key: str, ttl: Optional[float]) -> bool:
        """``True`` the first time ``key`` is seen within ``ttl`` seconds (``None``: for ever)."""
        if not isinstance(key, str):
            raise TypeError("a nonce key is a string")
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, (int, float))):
            raise TypeError("ttl must be a number of seconds or None")
        now = self._clock()
        with self._lock:
            self._purge(now)
            if key in self._expiry:
                return False
            if len(self._expiry) >= self._max:
                raise VerificationError("store_full", "the nonce store is full")
            expires = float("inf") if ttl is None else now + ttl
            if expires <= now:
                return True  # already expired: nothing to remember
            self._expiry[key] = expires
            if ttl is not None:
                heapq.heappush(self._heap, (expires, key))
            return True

    def __call__(self, value: str) -> bool:
        """The former ``nonce_seen`` form: ``True`` when ``value`` was seen within ``ttl``."""
        return not self.consume_once(value, self._ttl)


_default_store: NonceCache | None = None
_default_lock = threading.Lock()


def default_nonce_store() -> NonceCache:
    """The :class:`NonceCache` every verifier call in this process shares when given none."""
    global _default_store
    with _default_lock:
        if _default_store is None:
            _default_store = NonceCache()
        return _default_store
