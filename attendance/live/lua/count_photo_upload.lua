-- A selfie posted to a photo-check session, before the server reads it (``checkins.count_photo_upload``):
-- refused once the student has a record a new check-in would not replace (anything but rejected), or
-- once they posted ``limit`` selfies to this session. The count and its TTL in one script.
-- KEYS: records, photos. ARGV: school number, expire_at, limit. Returns the outcome.
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing and cjson.decode(existing)['status'] ~= 'rejected' then return 'checked_in' end
local posted = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('EXPIREAT', KEYS[2], ARGV[2])
if posted > tonumber(ARGV[3]) then return 'too_many' end
return 'ok'
