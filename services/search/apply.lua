-- Upsert or remove listings and move the generation, atomically (services/search/index.py).
-- KEYS: the generation, the format marker. ARGV[1]: the format, ARGV[2]: the index's key prefix; then, per change:
-- number, n (-1: remove), and for an
-- upsert: doc, folded name, lon, lat and n terms (set keys below the prefix: cat:<code>, flag:<name>, word:<w>).
-- A listing's terms are kept in its hash, so the old version's traces are removed without decoding it.
local prefix = ARGV[2]
local geo = prefix .. 'geo'
local i = 3
while i <= #ARGV do
  local number, n = ARGV[i], tonumber(ARGV[i + 1])
  local hash = prefix .. 'listing:' .. number
  local old = redis.call('HGET', hash, 'terms')
  if old then
    for term in string.gmatch(old, '[^ ]+') do redis.call('SREM', prefix .. term, number) end
  end
  redis.call('DEL', hash)
  redis.call('ZREM', geo, number)
  i = i + 2
  if n >= 0 then
    local terms = {}
    for t = i + 4, i + 3 + n do
      redis.call('SADD', prefix .. ARGV[t], number)
      terms[#terms + 1] = ARGV[t]
    end
    redis.call('HSET', hash, 'doc', ARGV[i], 'name', ARGV[i + 1], 'terms', table.concat(terms, ' '))
    redis.call('GEOADD', geo, ARGV[i + 2], ARGV[i + 3], number)
    i = i + 4 + n
  end
end
redis.call('SET', KEYS[2], ARGV[1])
return redis.call('INCR', KEYS[1])
