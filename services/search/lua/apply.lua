-- Upsert or remove listings and move the generation and the topic positions, atomically (RedisListingIndex.apply).
-- KEYS: the generation, the format marker, the built marker, the positions (hash: partition -> offset of the last
-- change applied). ARGV[1]: the format, ARGV[2]: the index's key prefix, ARGV[3]: '1' to change only a built index
-- (the consumers: UNBUILT error otherwise, nothing changed), ARGV[4]: now (unix seconds: the feeds' Last-Modified),
-- ARGV[5]: the number of advances, then per advance:
-- partition, the offset the consumer last applied of it ('' when it does not know: not checked) and the offset of the
-- batch's last record of it (POSITION error when the index is elsewhere, nothing changed); then per change: number,
-- and '' to remove it or its record, lon and lat to upsert it (the record's terms say which sorted sets it joins:
-- gw:<name word>, gc:<category>, gl:<locality>, and #<flag> for the flag counts).
local prefix = ARGV[2]
local geo, words, counts = prefix .. 'geo', prefix .. 'words', prefix .. 'counts'

local function leave(number, record)
  local _, _, _, _, terms = fields(record)
  for term in string.gmatch(terms, '[^ ]+') do
    if string.sub(term, 1, 1) == '#' then
      redis.call('HINCRBY', counts, string.sub(term, 2), -1)
    else
      redis.call('ZREM', prefix .. term, number)
      if string.sub(term, 1, 3) == 'gw:' and redis.call('EXISTS', prefix .. term) == 0 then
        redis.call('ZREM', words, string.sub(term, 4))
      end
    end
  end
  redis.call('ZREM', geo, number)
end

local function join(number, record, lon, lat)
  local _, _, _, _, terms = fields(record)
  for term in string.gmatch(terms, '[^ ]+') do
    if string.sub(term, 1, 1) == '#' then
      redis.call('HINCRBY', counts, string.sub(term, 2), 1)
    else
      redis.call('GEOADD', prefix .. term, lon, lat, number)
      if string.sub(term, 1, 3) == 'gw:' then redis.call('ZADD', words, 0, string.sub(term, 4)) end
    end
  end
  redis.call('GEOADD', geo, lon, lat, number)
  redis.call('SET', prefix .. 'rec:' .. number, record)
end

if ARGV[3] == '1' and redis.call('EXISTS', KEYS[3]) == 0 then
  return redis.error_reply('UNBUILT the index is not built')
end

local advances = tonumber(ARGV[5])
for a = 0, advances - 1 do
  local partition, expected = ARGV[6 + 3 * a], ARGV[7 + 3 * a]
  local at = redis.call('HGET', KEYS[4], partition) or '-1'
  if expected ~= '' and at ~= expected then
    return redis.error_reply('POSITION ' .. partition .. ' ' .. at)
  end
end

local first = 6 + 3 * advances
local i = first
while i <= #ARGV do
  local number, record = ARGV[i], ARGV[i + 1]
  local key = prefix .. 'rec:' .. number
  local old = redis.call('GET', key)
  if old then leave(number, old) end
  if record == '' then
    redis.call('DEL', key)
    i = i + 2
  else
    join(number, record, ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  end
end
for a = 0, advances - 1 do
  redis.call('HSET', KEYS[4], ARGV[6 + 3 * a], ARGV[8 + 3 * a])
end
if i == first then return redis.call('GET', KEYS[1]) end  -- positions only: the cached results hold
redis.call('SET', prefix .. 'changed', ARGV[4])  -- the feeds' Last-Modified
redis.call('SET', KEYS[2], ARGV[1])
return redis.call('INCR', KEYS[1])
