-- The one check-in decision, for every path (typed code, QR, tap, remote link) on one Redis and on a
-- cluster (``live.checkins``): the student's wrong-code lock-out, then the first candidate session the
-- student is admitted to, then whether this phone checked in to another open session (a soft flag), then
-- the write.  A fact the caller already knows comes as an argument; on one Redis the typed code's fast
-- path lets the script read the lock-out and the device's index of its sessions itself (one round trip),
-- on a cluster (one slot per script) the caller reads them first and passes them.
--
-- KEYS: five per candidate (meta, records, devices, attempts, enrolled); then the student's guess counter
--   if ARGV[6] is 'read'; then, on one Redis with a device, the device's index of its sessions
--   (``keys.device_key``: read if ARGV[7] is 'read', written when the device is taken; on a cluster the
--   caller writes it, told by the fourth value returned).
-- ARGV: [1] school number, [2] device ('' when the device rule is off), [3] now, [4] wrong codes that
--   lock a student out of a session, [5] candidates, [6] the lock-out's end or 'read', [7] JSON list of
--   the meta keys of the open sessions whose devices hash holds this device, or 'read', [8] [9] the
--   device-elsewhere flag and reason, [10] [11] the shared-device flag and reason, [12] the flag of a
--   check-in that replaced a rejected one, then four per candidate: the record (JSON), expire_at,
--   admission ('yes', 'no', or 'roster': yes if on the session's enrolled snapshot), one device per
--   student ('1' or '0').
-- Returns {candidate (1-based, 0: none), outcome, stored record, 1 if the chosen session's devices hash
-- now holds the device for this student (else 0)}; "guess_locked" and "not_enrolled" write nothing.
--#include device_index
--#include write_check_in
local number, device, now, limit, n = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local facts = 5 * n + 1
local locked_until
if ARGV[6] == 'read' then
  locked_until = tonumber(redis.call('HGET', KEYS[facts], 'until') or '0')
  facts = facts + 1
else
  locked_until = tonumber(ARGV[6])
end
if locked_until > now then return {0, 'guess_locked', '', 0} end
local index = KEYS[facts]

local chosen = 0
for i = 1, n do
  local admission = ARGV[12 + (i - 1) * 4 + 3]
  if admission == 'yes' or (admission == 'roster' and redis.call('HEXISTS', KEYS[(i - 1) * 5 + 5], number) == 1) then
    chosen = i
    break
  end
end
if chosen == 0 then return {0, 'not_enrolled', '', 0} end

local base, a = (chosen - 1) * 5, 12 + (chosen - 1) * 4
local k = {
  meta = KEYS[base + 1], records = KEYS[base + 2], devices = KEYS[base + 3], attempts = KEYS[base + 4], index = index,
}
local record, one_device = ARGV[a + 1], ARGV[a + 4] == '1'
if device ~= '' and one_device then
  local elsewhere = false
  if ARGV[7] == 'read' then
    elsewhere = open_elsewhere(index, now, k.meta)
  else
    for _, meta in ipairs(cjson.decode(ARGV[7])) do
      if meta ~= k.meta then elsewhere = true break end
    end
  end
  if elsewhere then
    local new = cjson.decode(record)
    table.insert(new['flags'], ARGV[8])
    new['reason'] = (new['reason'] ~= '' and (new['reason'] .. ' ') or '') .. ARGV[9]
    record = cjson.encode(new)
  end
end
local result = write(
  k, number, record, one_device and device or '', now, ARGV[a + 2], limit, ARGV[10], ARGV[11], ARGV[12]
)
return {chosen, result[1], result[2], result[3] or 0}
