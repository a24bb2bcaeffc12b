-- Which of these hashes (one slot) hold the field: the per-group read behind the "phone used in another
-- open session" flag on a cluster (``live.checkins``: the facts passed to check_in.lua).
local found = {}
for _, key in ipairs(KEYS) do
  if redis.call('HEXISTS', key, ARGV[1]) == 1 then table.insert(found, key) end
end
return found
