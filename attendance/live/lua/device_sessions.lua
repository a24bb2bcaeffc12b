-- On a cluster, before the check-in script: the sessions the device's index holds (lua/device_index.lua).
-- KEYS: the device's index. ARGV: now.
--#include device_index
return device_sessions(KEYS[1], tonumber(ARGV[1]))
