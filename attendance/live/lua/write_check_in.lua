-- The write at the end of every check-in (included by check_in.lua): open and started? -> locked out of this session
-- by wrong codes? -> record exists? (only a rejected one, not set by the teacher, may be replaced) -> the
-- device rule (one phone, one student per session) -> a rejection never replaces a rejection -> write;
-- a replaced rejected attempt is kept in the new record's "earlier", with the retried flag.  One script,
-- so double taps and shared devices race safely.  A device taken is indexed (lua/device_index.lua) when
-- ``k.index`` is given (one Redis).  Returns {outcome, stored record, 1 if the device was taken}.
local function write(k, number, record, device, now, expire_at, limit, shared_flag, shared_reason, retried_flag)
  local meta = redis.call('HMGET', k.meta, 'state', 'ends', 'starts')
  local state = meta[1]
  if not state then return {'missing', ''} end
  if state ~= 'open' or now >= tonumber(meta[2]) then return {'closed', ''} end
  if meta[3] and now < tonumber(meta[3]) then return {'not_started', ''} end  -- 'starts' is absent before 2026-12
  if tonumber(redis.call('HGET', k.attempts, number) or '0') >= limit then return {'locked', ''} end
  local existing = redis.call('HGET', k.records, number)
  local old = existing and cjson.decode(existing)
  if old and (old['status'] ~= 'rejected' or old['by_teacher']) then return {'exists', existing} end
  local takes_device, shared = false, false
  if device ~= '' then
    local owner = redis.call('HGET', k.devices, device)
    if owner and owner ~= number then shared = true else takes_device = true end
  end
  -- The record as sent is stored as sent (and the caller knows it by its bytes): decoded only to change it.
  local new = (old or shared) and cjson.decode(record)
  if shared then
    new['status'] = 'rejected'
    new['reason'] = shared_reason
    table.insert(new['flags'], shared_flag)
  end
  if old and new['status'] == 'rejected' then return {'exists', existing} end
  if takes_device then
    redis.call('HSET', k.devices, device, number)
    redis.call('EXPIREAT', k.devices, expire_at)
    if k.index then index_device(k.index, k.meta, expire_at, now) end
  end
  if old then
    local earlier = old['earlier'] or {}
    table.insert(earlier, {at = old['checked_in_at'], reason = old['reason'] or '', flags = old['flags'] or {}})
    new['earlier'] = earlier
    table.insert(new['flags'], retried_flag)
  end
  if new then record = cjson.encode(new) end
  redis.call('HSET', k.records, number, record)
  redis.call('EXPIREAT', k.records, expire_at)
  return {'ok', record, takes_device and 1 or 0}
end
