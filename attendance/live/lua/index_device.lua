-- On a cluster, after a check-in script that took the device in a session: index it (lua/device_index.lua).
-- KEYS: the device's index. ARGV: the session's meta key, its keys' expiry, now.
--#include device_index
index_device(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]))
return 1
