-- Helpers shared by the index's scripts (services/search/index.py prepends this file to each of them).
-- A listing's record (key rec:<number>) is one string of fields separated by the unit separator:
--   lat, lon, name (folded, for ties), filter, terms, hit
-- filter: " <word> <word> … |<category>|<category>| #<flag>#<flag>#" (every word of its name, place and category
-- labels, so that " " .. w finds a word starting with w); terms: the sorted sets it belongs to, space-separated;
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

-- A word filter's sorted sets: the name words starting with it (at most `most`; nil when there are more), and the
-- category and locality sets the caller resolved from the vocabulary and the places.
local function word_sets(prefix, word, extra, most)
  local names = redis.call('ZRANGEBYLEX', prefix .. 'words', '[' .. word, '[' .. word .. '\255', 'LIMIT', 0, most + 1)
  if #names > most then return nil end
  local sets = {}
  for _, name in ipairs(names) do sets[#sets + 1] = prefix .. 'gw:' .. name end
  for _, set in ipairs(extra) do sets[#sets + 1] = prefix .. set end
  return sets
end

local function cardinality(sets)
  local total = 0
  for _, set in ipairs(sets) do total = total + redis.call('ZCARD', set) end
  return total
end

-- `count` word filters from ARGV[n …]: per word the word, the number of extra sets (-1: too many to walk) and those
-- sets. Each comes back with its sets and their size (nil when it has too many), and the next n.
local function read_words(prefix, n, count, most)
  local words = {}
  for _ = 1, count do
    local word, nextra = ARGV[n], tonumber(ARGV[n + 1])
    local sets = nil
    if nextra >= 0 then
      local extra = {}
      for i = n + 2, n + 1 + nextra do extra[#extra + 1] = ARGV[i] end
      sets = word_sets(prefix, word, extra, most)
    end
    words[#words + 1] = {word = word, sets = sets, size = sets and cardinality(sets)}
    n = n + 2 + math.max(nextra, 0)
  end
  return words, n
end

-- A check is a list of needles, one of which a listing's filter string must contain: ' <word>' (a word prefix),
-- '|<code>|' (a category), '#<flag>#' (a flag).
local function word_check(word) return {' ' .. word} end

local function passes(filter, checks)
  for i = 1, #checks do
    local check, any = checks[i], false
    for j = 1, #check do
      if find(filter, check[j], 1, true) then any = true; break end
    end
    if not any then return false end
  end
  return true
end
