-- Keep a check-in selfie's face encoding with its session and return every encoding the session holds, so
-- the worker compares the new face with the others at once (one face on two accounts).  The encodings live
-- as long as the records (the same expiry).
-- KEYS: records, faces. ARGV: school number, the encoding (128 float32, little-endian).
-- Returns {number, encoding, ...} (this one included), or an empty list when the session is gone.
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return {} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ttl)
return redis.call('HGETALL', KEYS[2])
