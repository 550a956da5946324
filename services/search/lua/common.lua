-- Helpers shared by the index's scripts (services/search/index.py prepends this file to each of them).
-- A listing's record (key rec:<number>) is one string of fields separated by the unit separator:
--   lat, lon, name (folded, for ties), filter, terms, hit
-- filter: " <word> <word> … |<category>|<category>| #<flag>#<flag>#" (every word of its name, place and category
-- labels, so that " " .. w finds a word starting with w); terms: the sorted sets it belongs to, space-separated;
-- hit: the public JSON of the listing without its closing '}' (the distance is appended per search).
local SEP = '\31'

local function fields(record)
  local a = string.find(record, SEP, 1, true)
  local b = string.find(record, SEP, a + 1, true)
  local c = string.find(record, SEP, b + 1, true)
  local d = string.find(record, SEP, c + 1, true)
  local e = string.find(record, SEP, d + 1, true)
  return tonumber(string.sub(record, 1, a - 1)), tonumber(string.sub(record, a + 1, b - 1)),
    string.sub(record, b + 1, c - 1), string.sub(record, c + 1, d - 1), string.sub(record, d + 1, e - 1),
    string.sub(record, e + 1)
end

-- The great-circle distance on the sphere Redis GEO uses (the same formula as services/common/places.py).
local function distance(lat1, lon1, lat2, lon2, radius)
  local dlat, dlon = math.rad(lat2 - lat1), math.rad(lon2 - lon1)
  local a = math.sin(dlat / 2) ^ 2 + math.cos(math.rad(lat1)) * math.cos(math.rad(lat2)) * math.sin(dlon / 2) ^ 2
  return 2 * radius * math.asin(math.sqrt(a))
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

-- Whether a listing's filter string passes every check ({kind, values}); kinds: word, any (categories), flag.
local function passes(filter, checks)
  for _, check in ipairs(checks) do
    local kind, value = check[1], check[2]
    if kind == 'word' then
      if not string.find(filter, ' ' .. value, 1, true) then return false end
    elseif kind == 'flag' then
      if not string.find(filter, '#' .. value .. '#', 1, true) then return false end
    else
      local any = false
      for _, code in ipairs(value) do
        if string.find(filter, '|' .. code .. '|', 1, true) then any = true; break end
      end
      if not any then return false end
    end
  end
  return true
end
