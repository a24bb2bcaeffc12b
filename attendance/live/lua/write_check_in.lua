-- The write at the end of every check-in (included by check_in.lua): open? -> locked out of this session
-- by wrong codes? -> record exists? (a rejected one may be replaced, unless the teacher set it) -> the
-- device rule (one phone, one student per session) -> write.  One script, so double taps and shared
-- devices race safely.  Returns {outcome, stored record}.
local function write(k, number, record, device, now, expire_at, limit, shared_flag, shared_reason)
  local state = redis.call('HGET', k.meta, 'state')
  if not state then return {'missing', ''} end
  if state ~= 'open' or now >= tonumber(redis.call('HGET', k.meta, 'ends')) then return {'closed', ''} end
  if tonumber(redis.call('HGET', k.attempts, number) or '0') >= limit then return {'locked', ''} end
  local existing = redis.call('HGET', k.records, number)
  if existing then
    local old, new = cjson.decode(existing), cjson.decode(record)
    if old['status'] ~= 'rejected' or new['status'] == 'rejected' or old['by_teacher'] then
      return {'exists', existing}
    end
  end
  if device ~= '' then
    local owner = redis.call('HGET', k.devices, device)
    if owner and owner ~= number then
      local new = cjson.decode(record)
      new['status'] = 'rejected'
      new['reason'] = shared_reason
      table.insert(new['flags'], shared_flag)
      record = cjson.encode(new)
    else
      redis.call('HSET', k.devices, device, number)
      redis.call('EXPIREAT', k.devices, expire_at)
    end
  end
  redis.call('HSET', k.records, number, record)
  redis.call('EXPIREAT', k.records, expire_at)
  return {'ok', record}
end
