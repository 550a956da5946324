-- Type-ahead (RedisListingIndex.matching): up to `limit` numbers of listings matching every term, read from the
-- sets of the term with the fewest listings and checked on the records, at most `budget` of them; with `names_only`
-- checked on the words of their names alone.
-- ARGV: prefix, limit, budget, names_only ('1' or '0'), the number of terms, then the terms (read_terms).
local prefix, limit, budget, names_only = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1'
local words = read_terms(prefix, 6, tonumber(ARGV[5]), 32)
for _, word in ipairs(words) do word.size = word.size or math.huge end
table.sort(words, function(a, b) return a.size < b.size end)
local driver = words[1].sets or {prefix .. 'geo'}  -- no word narrow enough: read any listings
local checks = {}
for i = words[1].sets and 2 or 1, #words do checks[#checks + 1] = words[i].check end

local found, seen, read = {}, {}, 0
for _, set in ipairs(driver) do
  if #found >= limit or read >= budget then break end
  local numbers = redis.call('ZRANGE', set, 0, budget - read - 1)
  read = read + #numbers
  local fresh = {}
  for _, number in ipairs(numbers) do
    if not seen[number] then seen[number] = true; fresh[#fresh + 1] = number end
  end
  for i, record in ipairs(records(prefix, fresh)) do
    if record then
      local _, _, name, filter = head(record)
      if passes(names_only and ' ' .. name or filter, checks) then found[#found + 1] = fresh[i] end
    end
  end
end
table.sort(found)
local out = {}
for i = 1, math.min(limit, #found) do out[i] = found[i] end
return out
