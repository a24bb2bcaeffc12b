-- Release a sweeper's claim, only if it is still that sweeper's.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
