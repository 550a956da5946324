-- Helpers shared by the index's scripts (services/search/index.py prepends this file to each of them).
-- A listing's record (key rec:<number>) is one string of fields separated by the unit separator:
--   lat, lon, name (folded, for ties), filter, terms, hit
-- filter: " <word> <word> … |<category>|<category>| #<flag>#<flag># ~<start>-<end>,…~" (every word of its name and
-- place, so that " " .. w finds a word starting with w; categories by code; its opening hours as minutes of the
-- week on Belgian clocks, services/common/opening.py); terms: the sorted sets it belongs to, space-separated;
-- hit: the public JSON of the listing without its closing '}' (the distance is appended per search), where the
-- categories' JSON may stand as their codes between two \30 bytes: the search service splices it in
-- (index.py, with_categories), outside Redis's single thread.
local SEP = '\31'
-- Library functions as locals: the scripts call them per candidate, and a local is cheaper than a table lookup.
local find, sub, match, gmatch, format = string.find, string.sub, string.match, string.gmatch, string.format
local concat, sort = table.concat, table.sort
local sin, cos, asin, sqrt, rad, min, max = math.sin, math.cos, math.asin, math.sqrt, math.rad, math.min, math.max
local HEAD = '^([^\31]*)\31([^\31]*)\31([^\31]*)\31([^\31]*)\31([^\31]*)\31()'
local POSITION = '^([^\31]*)\31([^\31]*)\31'

-- lat, lon, name, filter, terms, and where the hit starts (one pattern match: the hit itself is not copied).
local function head(record)
  local lat, lon, name, filter, terms, at = match(record, HEAD)
  return tonumber(lat), tonumber(lon), name, filter, terms, at
end

-- The parts a search needs of each candidate, each read alone: Lua hashes every string it makes, so a search
-- copies out of a record only what it uses.
local function position(record)
  local lat, lon = match(record, POSITION)
  return tonumber(lat), tonumber(lon)
end

-- Where the nth separator is: a plain find, many times cheaper than matching a pattern field by field.
local function separator(record, nth)
  local at = 0
  for _ = 1, nth do at = find(record, SEP, at + 1, true) end
  return at
end

local function filter_of(record)
  local start = separator(record, 3)
  return sub(record, start + 1, find(record, SEP, start + 1, true) - 1)
end

local function hit_of(record) return sub(record, separator(record, 5) + 1) end

local function fields(record)
  local lat, lon, name, filter, terms, at = head(record)
  return lat, lon, name, filter, terms, sub(record, at)
end

-- The great-circle distance from (lat1, lon1) on the sphere Redis GEO uses, as a function of the other point (the
-- same formula as services/common/places.py, operation for operation, so that both give the same digits).
local function distance_from(lat1, lon1, radius)
  local cos1 = cos(rad(lat1))
  return function(lat2, lon2)
    local dlat, dlon = rad(lat2 - lat1), rad(lon2 - lon1)
    local a = sin(dlat / 2) ^ 2 + cos1 * cos(rad(lat2)) * sin(dlon / 2) ^ 2
    return 2 * radius * asin(sqrt(a))
  end
end

-- The records of numbers, in chunks (unpack has a limit on its arguments).
local function records(prefix, numbers)
  local out = {}
  for first = 1, #numbers, 500 do
    local keys = {}
    for i = first, math.min(first + 499, #numbers) do keys[#keys + 1] = prefix .. 'rec:' .. numbers[i] end
    local got = redis.call('MGET', unpack(keys))
    for i = 1, #got do out[#out + 1] = got[i] end
  end
  return out
end

-- The name-word sets of a term's prefixes (at most `most`; nil when there are more).
local function name_sets(prefix, prefixes, most)
  local sets = {}
  for _, word in ipairs(prefixes) do
    local names = redis.call('ZRANGEBYLEX', prefix .. 'words', '[' .. word, '[' .. word .. '\255', 'LIMIT', 0,
                             most + 1 - #sets)
    if #sets + #names > most then return nil end
    for _, name in ipairs(names) do sets[#sets + 1] = prefix .. 'gw:' .. name end
  end
  return sets
end

local function cardinality(sets)
  local total = 0
  for _, set in ipairs(sets) do total = total + redis.call('ZCARD', set) end
  return total
end

-- n strings from ARGV[at …] (n = ARGV[at]; -1: none, and nil comes back), and the next position.
local function strings(at)
  local n = tonumber(ARGV[at])
  if n < 0 then return nil, at + 1 end
  local out = {}
  for i = at + 1, at + n do out[#out + 1] = ARGV[i] end
  return out, at + 1 + n
end

-- `count` query terms from ARGV[n …] (services/search/meaning.py): per term its prefixes, its category codes and
-- its locality sets, each list as its length and its strings (-1 for the localities: too many to walk). A listing
-- matches a term when its filter has one of the term's needles: ' <prefix>' or '|<code>|'. Each term comes back
-- with those needles, its sets and their size (sets nil: too many), its prefixes and their name-word sets (nil:
-- too many), and the next n.
local function read_terms(prefix, n, count, most)
  local terms = {}
  for _ = 1, count do
    local prefixes, codes, places
    prefixes, n = strings(n)
    codes, n = strings(n)
    places, n = strings(n)
    local check, names = {}, name_sets(prefix, prefixes, most)
    for _, word in ipairs(prefixes) do check[#check + 1] = ' ' .. word end
    for _, code in ipairs(codes) do check[#check + 1] = '|' .. code .. '|' end
    local sets = nil
    if names and places then
      sets = {}
      for _, set in ipairs(names) do sets[#sets + 1] = set end
      for _, set in ipairs(places) do sets[#sets + 1] = prefix .. set end
      for _, code in ipairs(codes) do sets[#sets + 1] = prefix .. 'gc:' .. code end
    end
    terms[#terms + 1] = {check = check, sets = sets, size = sets and cardinality(sets), names = names,
                         prefixes = prefixes}
  end
  return terms, n
end

-- A check is a list of needles, one of which a listing's filter string must contain: ' <word>' (a word prefix),
-- '|<code>|' (a category), '#<flag>#' (a flag).
-- Whether the filter's opening hours hold the minute of the week.
local function open_at(filter, minute)
  local hours = match(filter, '~([%d%-,]*)~$')
  for start, stop in gmatch(hours or '', '(%d+)%-(%d+)') do
    if minute >= tonumber(start) and minute < tonumber(stop) then return true end
  end
  return false
end

-- A check is a list of strings, one of which the filter must hold, or a function of the filter.
local function passes(filter, checks)
  for i = 1, #checks do
    local check, any = checks[i], false
    if type(check) == 'function' then
      any = check(filter)
    else
      for j = 1, #check do
        if find(filter, check[j], 1, true) then any = true; break end
      end
    end
    if not any then return false end
  end
  return true
end
