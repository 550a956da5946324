-- One search, in one round trip (RedisListingIndex.find in services/search/index.py explains the steps).
-- KEYS: geo, near (temporary), cats (temporary), the category sets, then the flag and word sets.
-- ARGV: lon, lat, radius_km, start, size, number of category sets, listing key prefix.
-- Listing hashes are read by key prefix (not declared in KEYS): the index lives on one Redis node.
local geo, near, cats = KEYS[1], KEYS[2], KEYS[3]
local start, size, ncats, listing = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]

redis.call('GEOSEARCHSTORE', near, geo, 'FROMLONLAT', ARGV[1], ARGV[2], 'BYRADIUS', ARGV[3], 'km', 'STOREDIST')
local inter = {near}
if ncats > 0 then
  local union = {'SUNIONSTORE', cats}
  for i = 4, 3 + ncats do union[#union + 1] = KEYS[i] end
  redis.call(unpack(union))
  inter[#inter + 1] = cats
end
for i = 4 + ncats, #KEYS do inter[#inter + 1] = KEYS[i] end
if #inter > 1 then
  -- weight 0 for the filters: the scores stay the distances
  local args = {'ZINTERSTORE', near, #inter}
  for _, key in ipairs(inter) do args[#args + 1] = key end
  args[#args + 1] = 'WEIGHTS'
  for i = 1, #inter do args[#args + 1] = (i == 1) and '1' or '0' end
  redis.call(unpack(args))
end

local total = redis.call('ZCARD', near)
local docs = {}
local rows = redis.call('ZRANGE', near, start, start + size - 1, 'WITHSCORES')
if #rows > 0 then
  -- equal distances straddling the page edges: order the whole band of those distances by name
  local low, high = rows[2], rows[#rows]
  local before = redis.call('ZCOUNT', near, '-inf', '(' .. low)
  local band = redis.call('ZRANGEBYSCORE', near, low, high, 'WITHSCORES')
  local ranked = {}
  for i = 1, #band, 2 do
    local name = redis.call('HGET', listing .. band[i], 'name') or ''
    ranked[#ranked + 1] = {band[i], tonumber(band[i + 1]), name}
  end
  table.sort(ranked, function(a, b)
    if a[2] ~= b[2] then return a[2] < b[2] end
    if a[3] ~= b[3] then return a[3] < b[3] end
    return a[1] < b[1]
  end)
  local offset = start - before
  for i = offset + 1, math.min(offset + size, #ranked) do
    docs[#docs + 1] = redis.call('HGET', listing .. ranked[i][1], 'doc') or ''
  end
end
redis.call('DEL', near, cats)
return {total, docs}
