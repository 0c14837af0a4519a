"""A Redis cache that degrades to a miss when Redis is down, so pages keep loading without it.

Django's RedisCache raises redis errors straight into the view (a 500 on every page that touches the cache,
including DRF's throttles). Here every failure reads as a miss and every write as not stored; after a failure
the cache stays "down" for a few seconds, so requests do not each wait for a connection timeout.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Seconds to skip Redis after a failure before trying again.
RETRY_AFTER = 5.0
# Per cache location: when to try Redis again. Shared by the per-thread cache instances of a process.
_down_until: dict[str, float] = {}


class ResilientRedisCache(RedisCache):
    _servers: list[str]  # set by RedisCache.__init__ from LOCATION
    _cache: RedisCacheClient  # RedisCache's cached property: the client wrapping the redis connection pool

    def _location(self) -> str:
        return ",".join(self._servers)

    def _call(self, operation: str, fallback: Callable[[], Any], call: Callable[[], Any]) -> Any:
        location = self._location()
        if time.monotonic() < _down_until.get(location, 0.0):
            return fallback()
        try:
            result = call()
        except RedisError as exc:
            if location not in _down_until:
                logger.warning(
                    "cache unavailable, serving without it: %s failed with %s",
                    operation,
                    type(exc).__name__,
                    extra={"cache_error": str(exc)},
                )
            _down_until[location] = time.monotonic() + RETRY_AFTER
            return fallback()
        if _down_until.pop(location, None) is not None:
            logger.info("cache reachable again")
        return result

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._call(
            "add", lambda: False, lambda: super(ResilientRedisCache, self).add(key, value, timeout, version)
        )

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._call(
            "get", lambda: default, lambda: super(ResilientRedisCache, self).get(key, default, version)
        )

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._call(
            "set", lambda: None, lambda: super(ResilientRedisCache, self).set(key, value, timeout, version)
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._call(
            "touch", lambda: False, lambda: super(ResilientRedisCache, self).touch(key, timeout, version)
        )

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._call(
            "delete", lambda: False, lambda: super(ResilientRedisCache, self).delete(key, version)
        )

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict:
        keys = list(keys)
        return self._call("get_many", dict, lambda: super(ResilientRedisCache, self).get_many(keys, version))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._call(
            "has_key", lambda: False, lambda: super(ResilientRedisCache, self).has_key(key, version)
        )

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        def missing() -> int:
            # What Django's caches do for a key that is not there.
            raise ValueError(f"Key '{key}' not found (the cache is unavailable)")

        return self._call("incr", missing, lambda: super(ResilientRedisCache, self).incr(key, delta, version))

    def set_many(self, data: dict, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list:
        # The keys that could not be stored: all of them.
        return self._call(
            "set_many",
            lambda: list(data),
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
        )

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        keys = list(keys)
        self._call(
            "delete_many", lambda: None, lambda: super(ResilientRedisCache, self).delete_many(keys, version)
        )

    def clear(self) -> None:
        """Remove this cache's keys. With a KEY_PREFIX only the keys under it: Django's clear() empties the
        whole Redis database, which may hold the Celery queue or another site's (or test worker's) cache."""
        if not self.key_prefix:
            self._call("clear", lambda: None, lambda: super(ResilientRedisCache, self).clear())
            return
        self._call("clear", lambda: None, self._delete_prefixed)

    def _delete_prefixed(self) -> None:
        client = self._cache.get_client(write=True)
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{self.key_prefix}:*", count=500):
            batch.append(key)
            if len(batch) == 500:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
