-- One search in one round trip (RedisListingIndex.search explains the plans): the cached body when this generation
-- of the index answered the same query before; else the nearest page within the radius, rendered, cached, counted.
-- KEYS[1]: the generation, KEYS[2]: the built marker (an index Redis lost is refused, never searched: UNBUILT).
-- ARGV: see RedisListingIndex._search_args.
local prefix, earth = ARGV[1], tonumber(ARGV[2])
local lon, lat, radius = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local page, size, exact_wanted = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8] == '1'
local cell_low, cell_high, cell_km2 = ARGV[9], '(' .. ARGV[10], tonumber(ARGV[11])
local cache_key, ttl, trailer = ARGV[12], ARGV[13], ARGV[14]
local searches_key, zero_key, zero_words_key, typed = ARGV[15], ARGV[16], ARGV[17], ARGV[18]
local open_minute = tonumber(ARGV[19])  -- nil: open or not
local facets_wanted = ARGV[20] == '1'  -- count the matches per category and channel (the walk is then exact)
local FACETS_MAX = 5000  -- more matches than this are not read to be counted: Redis would be busy too long
local EPS_KM, MOST_WORDS, SET_COST = 0.001, 32, 10

local function count(total)
  if searches_key == '' then return end
  redis.call('INCR', searches_key)
  if total == 0 then
    redis.call('INCR', zero_key)
    if typed ~= '' then redis.call('ZINCRBY', zero_words_key, 1, typed) end
  end
end

if redis.call('EXISTS', KEYS[2]) == 0 then
  return redis.error_reply('UNBUILT the index is not built')
end

local key = ''
if cache_key ~= '' then
  key = cache_key .. ':' .. (redis.call('GET', KEYS[1]) or '0')
  local cached = redis.call('GET', key)
  if cached then
    local total = tonumber(match(cached, '^{"total":(%d+)'))
    count(total)
    return {total, cached, 1}
  end
end

-- The filters: categories (any of), flags, open at a minute of the week, words (each a prefix); each with its sorted
-- sets when it has them.
local filters, n = {}, 21
local geo = prefix .. 'geo'
local everyone = redis.call('ZCARD', geo)
local ncats = tonumber(ARGV[n]); n = n + 1
if ncats > 0 then
  local codes, sets = {}, {}
  for i = n, n + ncats - 1 do codes[#codes + 1] = '|' .. ARGV[i] .. '|'; sets[#sets + 1] = prefix .. 'gc:' .. ARGV[i] end
  filters[#filters + 1] = {check = codes, sets = sets, size = cardinality(sets)}
  n = n + ncats
end
local nflags = tonumber(ARGV[n]); n = n + 1
for i = n, n + nflags - 1 do
  local size_ = tonumber(redis.call('HGET', prefix .. 'counts', ARGV[i]) or '0')
  filters[#filters + 1] = {check = {'#' .. ARGV[i] .. '#'}, size = size_}
end
n = n + nflags
if open_minute then  -- no set to walk: never the driver of the plan
  filters[#filters + 1] = {check = function(filter) return open_at(filter, open_minute) end, size = everyone}
end
local nwords = tonumber(ARGV[n]); n = n + 1
local words = read_terms(prefix, n, nwords, MOST_WORDS)
for _, term in ipairs(words) do
  filters[#filters + 1] = {check = term.check, sets = term.sets, size = term.size or everyone}
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
    if i ~= except then share = share * min(1, filter.size / max(everyone, 1)) end
  end
  return share
end
local function cost(plan)
  plan.density = density(plan.sets)
  plan.share = selectivity(plan.driver)
  local within_radius = plan.density * math.pi * radius * radius
  local expected = exact_wanted and within_radius or min(within_radius, need / max(plan.share, 1e-9))
  return expected + SET_COST * #plan.sets
end
local best = {sets = {geo}, driver = 0}
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
local from = distance_from(lat, lon, earth)

-- A candidate: {Redis's distance, number, record, exact distance, folded name}; a record is read only when its
-- filter must be checked or its exact distance can change the page or the count.
local function read(candidates)
  local numbers = {}
  for i = 1, #candidates do numbers[i] = candidates[i][2] end
  local got = records(prefix, numbers)
  for i = 1, #candidates do
    local c, record = candidates[i], got[i]
    c[3], c[4] = record, record and from(position(record)) or math.huge
  end
end
local function name(c)  -- read only for ties
  if not c[5] then c[5] = select(3, head(c[3])) end
  return c[5]
end
local function nearest_first(a, b)
  if a[4] ~= b[4] then return a[4] < b[4] end
  local an, bn = name(a), name(b)
  if an ~= bn then return an < bn end
  return a[2] < b[2]
end

-- Walk the plan's sets outwards for the nearest `need` candidates that `keep` (a record's test, nil: all do), the
-- nearest first. Expanding radius: every listing within `within` km has been seen once the sets were searched that
-- far (plus EPS_KM: Redis keeps positions as 52-bit geohashes, so the distance it reports is off by at most that),
-- and the nearest `need` are final once that many lie within it. Returns them sorted, how many lie within the
-- radius searched (counting the unread), whether that was the whole radius, and the radius searched.
local function walk(plan, keep)
  local matches_per_km2 = plan.density * plan.share
  local within = radius
  if not exact_wanted and matches_per_km2 > 0 then
    within = max(0.01, min(radius, sqrt(need * 1.2 / (math.pi * matches_per_km2))))
  end
  local seen, candidates, inside = {}, {}, 0
  while true do
    local fresh = {}
    for _, set in ipairs(plan.sets) do
      local found = redis.call('GEOSEARCH', set, 'FROMLONLAT', lon, lat, 'BYRADIUS', within + EPS_KM, 'km',
                               'WITHDIST')
      for i = 1, #found do
        local number = found[i][1]
        if not seen[number] then seen[number] = true; fresh[#fresh + 1] = {tonumber(found[i][2]), number} end
      end
    end
    if keep then
      read(fresh)
      for i = 1, #fresh do
        local c = fresh[i]
        if c[3] and keep(c[3]) then c[1] = c[4]; candidates[#candidates + 1] = c end
      end
    else
      for i = 1, #fresh do candidates[#candidates + 1] = fresh[i] end
    end
    inside = 0
    for i = 1, #candidates do if candidates[i][1] <= within - EPS_KM then inside = inside + 1 end end
    if within >= radius or inside >= need then break end
    within = min(radius, within * max(1.5, min(4, sqrt(need * 1.3 / max(inside, 1)))))
  end

  -- The exact distances that decide: of the candidates that may be in the page (Redis's distance within 2 EPS_KM
  -- of the need-th nearest), and of those on the edge of the radius searched; the others are certainly beyond the
  -- page and certainly inside (facets read them all: every match is counted).
  local near, distances = {}, {}
  for i = 1, #candidates do
    if candidates[i][1] <= within + EPS_KM then near[#near + 1] = candidates[i]; distances[#near] = candidates[i][1] end
  end
  sort(distances)  -- numbers alone: no comparison function to call
  local cutoff = #near >= need and distances[need] + 2 * EPS_KM or math.huge
  local unread = {}
  for i = 1, #near do
    local c = near[i]
    if not c[4] and (facets_wanted or c[1] <= cutoff or c[1] > within - EPS_KM) then unread[#unread + 1] = c end
  end
  if facets_wanted and #unread > FACETS_MAX then  -- too many to count: no facets, and read only what the page needs
    facets_wanted = false
    local needed = {}
    for i = 1, #unread do
      local c = unread[i]
      if c[1] <= cutoff or c[1] > within - EPS_KM then needed[#needed + 1] = c end
    end
    unread = needed
  end
  read(unread)
  local ranked, inside_count = {}, 0
  for i = 1, #near do
    local c = near[i]
    if not c[4] then inside_count = inside_count + 1
    elseif c[4] <= within then inside_count = inside_count + 1; ranked[#ranked + 1] = c end
  end
  sort(ranked, nearest_first)
  return ranked, inside_count, within >= radius, within
end

local function estimate(plan, inside_count, exact, within)  -- as many again per area further out, at most every
  if exact then return inside_count end                    -- listing of the sets walked
  local total = math.floor(min(inside_count * (radius / within) ^ 2, cardinality(plan.sets) * plan.share) + 0.5)
  return max(total, inside_count)
end

-- A name match of every word first: the listings whose name has a word starting with a prefix of each term
-- (nearest first) come before the others. They are walked from the name-word sets of the rarest term (or, when
-- every term starts too many name words to walk, through the plan's sets), checked on the name and on the
-- record's filter (categories, flags). None can match when a term starts no name word at all.
local first, first_seen = {}, {}
local tiered = nwords > 0
local rarest, rarest_size = nil, math.huge
for i, term in ipairs(words) do
  if term.names and #term.names == 0 then tiered = false; break end
  local size_ = term.names and cardinality(term.names) or math.huge
  if size_ < rarest_size then rarest, rarest_size = i, size_ end
end
if tiered then
  local others = {}
  for i = 1, #filters - nwords do others[#others + 1] = filters[i].check end
  -- the driving term's share of the listings is in its sets' density already: not counted again
  local plan = rarest and {sets = words[rarest].names, driver = #filters - nwords + rarest}
    or {sets = best.sets, driver = best.driver}
  cost(plan)
  local function named(record)
    local _, _, folded, filter = head(record)
    folded = ' ' .. folded
    for _, term in ipairs(words) do
      local any = false
      for _, word in ipairs(term.prefixes) do
        if find(folded, ' ' .. word, 1, true) then any = true; break end
      end
      if not any then return false end
    end
    return passes(filter, others)
  end
  first = walk(plan, named)
  for i = 1, #first do first_seen[first[i][2]] = true end
end

-- The others: every match, nearest first, without those already first; a page that the name matches fill alone
-- still walks them, for the total.
local keep = nil
if #checks > 0 then keep = function(record) return passes(filter_of(record), checks) end end
local rest, inside_count, exact, within = walk(best, keep)
local total = estimate(best, inside_count, exact, within)
local ranked = first
for i = 1, #rest do
  if not first_seen[rest[i][2]] then ranked[#ranked + 1] = rest[i] end
end
-- The matches per category and per channel, as JSON members after the results (every match: the walk was exact).
local function facets(matches)
  local categories, channels = {}, {delivery = 0, pickup = 0, webshop = 0}
  for i = 1, #matches do
    local filter = filter_of(matches[i][3])
    for code in gmatch(match(filter, '|(.*)|') or '', '[^|]+') do categories[code] = (categories[code] or 0) + 1 end
    for flag in gmatch(match(filter, '#(.*)#') or '', '[^#]+') do channels[flag] = (channels[flag] or 0) + 1 end
  end
  local parts = {}
  for code, found in pairs(categories) do parts[#parts + 1] = format('"%s":%d', code, found) end
  sort(parts)
  return format(',"facets":{"categories":{%s},"channels":{"delivery":%d,"pickup":%d,"webshop":%d}}',
                concat(parts, ','), channels.delivery, channels.pickup, channels.webshop)
end

-- One concatenation of all the pieces: Lua hashes every string it makes, so no string is made twice.
local pieces = {'{"total":', total, ',"total_exact":', exact and 'true' or 'false', ',"page":', page, ',"size":', size,
                ',"results":['}
for i = (page - 1) * size + 1, min(page * size, #ranked) do
  local m = ranked[i]
  pieces[#pieces + 1] = hit_of(m[3])
  pieces[#pieces + 1] = format(',"distance_km":%.4f},', m[4])
end
if #pieces > 9 then pieces[#pieces] = sub(pieces[#pieces], 1, -2) end  -- no comma after the last
pieces[#pieces + 1] = ']'
if facets_wanted then pieces[#pieces + 1] = facets(ranked) end
pieces[#pieces + 1] = trailer
local body = concat(pieces)
if key ~= '' then redis.call('SET', key, body, 'EX', ttl) end
count(total)
return {total, body, 0}
