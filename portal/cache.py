"""The Redis cache, with an outage taken as a miss instead of a 500.

Everything the portal caches (pages, facet counts) can be recomputed, so while Redis does not
answer, reads miss and writes are dropped, and readers get pages as if nothing were cached, only
slower. One warning per outage per process, one line when it is back; /readyz reports the cache as
failing meanwhile (its write and read-back cannot agree).
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class TolerantRedisCache(RedisCache):
    _down = False

    def _try(self, call, default):
        try:
            result = call()
        except RedisError as err:
            if not TolerantRedisCache._down:
                TolerantRedisCache._down = True
                logger.warning("cache unavailable: %s; serving without it until it is back", err)
            return default
        if TolerantRedisCache._down:
            TolerantRedisCache._down = False
            logger.info("cache is back")
        return result

    def get(self, key, default=None, version=None):
        return self._try(lambda: super(TolerantRedisCache, self).get(key, default, version), default)

    def set(self, key, value, timeout=None, version=None):
        return self._try(lambda: super(TolerantRedisCache, self).set(key, value, timeout, version), None)

    def add(self, key, value, timeout=None, version=None):
        return self._try(lambda: super(TolerantRedisCache, self).add(key, value, timeout, version), False)

    def delete(self, key, version=None):
        return self._try(lambda: super(TolerantRedisCache, self).delete(key, version), False)

    def get_many(self, keys, version=None):
        return self._try(lambda: super(TolerantRedisCache, self).get_many(keys, version), {})

    def set_many(self, data, timeout=None, version=None):
        return self._try(lambda: super(TolerantRedisCache, self).set_many(data, timeout, version), list(data))
