-- One search in one round trip (RedisListingIndex.search explains the plans): the cached body when this generation
-- of the index answered the same query before; else the nearest page within the radius, rendered, cached, counted.
-- KEYS[1]: the generation. ARGV: see RedisListingIndex._search_args.
local prefix, earth = ARGV[1], tonumber(ARGV[2])
local lon, lat, radius = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local page, size, exact_wanted = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8] == '1'
local cell_low, cell_high, cell_km2 = ARGV[9], '(' .. ARGV[10], tonumber(ARGV[11])
local cache_key, ttl, trailer = ARGV[12], ARGV[13], ARGV[14]
local searches_key, zero_key, zero_words_key, typed = ARGV[15], ARGV[16], ARGV[17], ARGV[18]
local MARGIN_KM, MOST_WORDS, SET_COST = 0.001, 32, 10

local function count(total)
  if searches_key == '' then return end
  redis.call('INCR', searches_key)
  if total == 0 then
    redis.call('INCR', zero_key)
    if typed ~= '' then redis.call('ZINCRBY', zero_words_key, 1, typed) end
  end
end

local key = ''
if cache_key ~= '' then
  key = cache_key .. ':' .. (redis.call('GET', KEYS[1]) or '0')
  local cached = redis.call('GET', key)
  if cached then
    local newline = string.find(cached, '\n', 1, true)
    local total = tonumber(string.sub(cached, 1, newline - 1))
    count(total)
    return {total, string.sub(cached, newline + 1), 1}
  end
end

-- The filters: categories (any of), flags, words (each a prefix); each with its sorted sets when it has them.
local filters, n = {}, 19
local geo = prefix .. 'geo'
local everyone = redis.call('ZCARD', geo)
local ncats = tonumber(ARGV[n]); n = n + 1
if ncats > 0 then
  local codes, sets = {}, {}
  for i = n, n + ncats - 1 do codes[#codes + 1] = ARGV[i]; sets[#sets + 1] = prefix .. 'gc:' .. ARGV[i] end
  filters[#filters + 1] = {check = {'any', codes}, sets = sets, size = cardinality(sets)}
  n = n + ncats
end
local nflags = tonumber(ARGV[n]); n = n + 1
for i = n, n + nflags - 1 do
  local size_ = tonumber(redis.call('HGET', prefix .. 'counts', ARGV[i]) or '0')
  filters[#filters + 1] = {check = {'flag', ARGV[i]}, size = size_}
end
n = n + nflags
local nwords = tonumber(ARGV[n]); n = n + 1
for _, word in ipairs(read_words(prefix, n, nwords, MOST_WORDS)) do
  filters[#filters + 1] = {check = {'word', word.word}, sets = word.sets, size = word.size or everyone}
end

-- The plan: walk outwards through the sets of one filter (or every listing) and check the others on the records.
-- Its cost: the candidates it is expected to read before the page is complete, plus a little per set searched.
local need = page * size
local function density(sets)
  local found = 0
  for _, set in ipairs(sets) do found = found + redis.call('ZCOUNT', set, cell_low, cell_high) end
  return found / cell_km2
end
local function selectivity(except)
  local share = 1
  for i, filter in ipairs(filters) do
    if i ~= except then share = share * math.min(1, filter.size / math.max(everyone, 1)) end
  end
  return share
end
local best = {sets = {geo}, driver = 0}
local function cost(plan)
  plan.density = density(plan.sets)
  plan.share = selectivity(plan.driver)
  local within_radius = plan.density * math.pi * radius * radius
  local expected = exact_wanted and within_radius or math.min(within_radius, need / math.max(plan.share, 1e-9))
  return expected + SET_COST * #plan.sets
end
local best_cost = cost(best)
for i, filter in ipairs(filters) do
  if filter.sets and SET_COST * #filter.sets < best_cost then
    local plan = {sets = filter.sets, driver = i}
    local c = cost(plan)
    if c < best_cost then best, best_cost = plan, c end
  end
end
local checks = {}
for i, filter in ipairs(filters) do
  if i ~= best.driver then checks[#checks + 1] = filter.check end
end

-- Expanding radius: every listing within `within` km has been read once the sets were searched that far (plus a
-- margin for Redis's 52-bit positions), so the nearest `need` matches are final once that many lie within it.
local matches_per_km2 = best.density * best.share
local within = radius
if not exact_wanted and matches_per_km2 > 0 then
  within = math.max(0.01, math.min(radius, math.sqrt(need * 1.2 / (math.pi * matches_per_km2))))
end
local seen, matched, inside = {}, {}, 0
while true do
  local fresh = {}
  for _, set in ipairs(best.sets) do
    for _, number in ipairs(redis.call('GEOSEARCH', set, 'FROMLONLAT', lon, lat, 'BYRADIUS', within + MARGIN_KM, 'km')) do
      if not seen[number] then seen[number] = true; fresh[#fresh + 1] = number end
    end
  end
  local got = records(prefix, fresh)
  for i, record in ipairs(got) do
    if record then
      local at_lat, at_lon, _, filter = fields(record)
      local d = distance(lat, lon, at_lat, at_lon, earth)
      if d <= radius and passes(filter, checks) then matched[#matched + 1] = {fresh[i], d, record} end
    end
  end
  inside = 0
  for _, m in ipairs(matched) do if m[2] <= within then inside = inside + 1 end end
  if within >= radius or inside >= need then break end
  within = math.min(radius, within * math.max(1.5, math.min(4, math.sqrt(need * 1.3 / math.max(inside, 1)))))
end

local ranked = {}
for _, m in ipairs(matched) do
  if m[2] <= within then
    local _, _, name = fields(m[3])
    ranked[#ranked + 1] = {m[1], m[2], name, m[3]}
  end
end
table.sort(ranked, function(a, b)
  if a[2] ~= b[2] then return a[2] < b[2] end
  if a[3] ~= b[3] then return a[3] < b[3] end
  return a[1] < b[1]
end)
local exact = within >= radius
local total = #ranked
if not exact then  -- as many again per area further out, at most every listing of the sets walked
  total = math.floor(math.min(inside * (radius / within) ^ 2, cardinality(best.sets) * best.share) + 0.5)
  total = math.max(total, inside)
end
local hits = {}
for i = (page - 1) * size + 1, math.min(page * size, #ranked) do
  local _, _, _, _, _, hit = fields(ranked[i][4])
  hits[#hits + 1] = hit .. ',"distance_km":' .. string.format('%.4f', ranked[i][2]) .. '}'
end
local body = '{"total":' .. total .. ',"total_exact":' .. (exact and 'true' or 'false') .. ',"page":' .. page ..
  ',"size":' .. size .. ',"results":[' .. table.concat(hits, ',') .. ']' .. trailer
if key ~= '' then redis.call('SET', key, total .. '\n' .. body, 'EX', ttl) end
count(total)
return {total, body, 0}
