-- A link is the first student's: the same student may use it again, nobody else.
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] and 1 or 0
