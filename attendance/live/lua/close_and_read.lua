-- Closing and reading in one script: a session that ended by the clock is still
-- "open", and a teacher's correction written after the read would be lost.
-- KEYS: meta, records, changes. Returns the meta, the records and the change log.
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'state', 'finished') end
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), redis.call('LRANGE', KEYS[3], 0, -1)}
