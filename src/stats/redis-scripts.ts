// The Lua scripts of the Redis statistics backend. A script runs atomically in Redis, reads only
// the keys it is given (KEYS) and sends back only the answer, so a query's many small reads
// (one per pre-summed set) cost no round trips and no transfer of whole sets.

/**
 * One message: `SET seen NX` and every increment, or nothing when the message id was counted.
 * KEYS[1] dedupe key, KEYS[2] communities hash, KEYS[3..2+n] counted keys.
 * ARGV[1] dedupe ttl (s, "0" = no message id), ARGV[2] community, ARGV[3] day, ARGV[4] n,
 * ARGV[5..4+n] the ttl of each counted key, then quads: kind (h = HINCRBY, z = ZINCRBY,
 * s = SADD), key index (into KEYS), field or member, increment.
 * A key's expiry is only ever pushed later: a late message for an old day must not shorten the
 * life of a key that also holds newer days (the types set, a surface-form hash).
 */
export const APPLY_SCRIPT = `
if ARGV[1] ~= '0' then
  if not redis.call('SET', KEYS[1], ARGV[3], 'NX', 'EX', ARGV[1]) then return 0 end
end
local n = tonumber(ARGV[4])
for i = 5 + n, #ARGV, 4 do
  local key = KEYS[tonumber(ARGV[i + 1])]
  if ARGV[i] == 'h' then redis.call('HINCRBY', key, ARGV[i + 2], ARGV[i + 3])
  elseif ARGV[i] == 'z' then redis.call('ZINCRBY', key, ARGV[i + 3], ARGV[i + 2])
  else redis.call('SADD', key, ARGV[i + 2]) end
end
for i = 1, n do
  local ttl = tonumber(ARGV[4 + i])
  if redis.call('TTL', KEYS[2 + i]) < ttl then redis.call('EXPIRE', KEYS[2 + i], ttl) end
end
local last = redis.call('HGET', KEYS[2], ARGV[2])
if (not last) or last < ARGV[3] then redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) end
return 1
`;

// Shared by the query scripts: sums each member's score over the given keys (ZMSCORE in chunks,
// Lua's unpack has a stack limit).
const SUM_SCORES = `
local function sumScores(keys, first, last, members)
  local sums = {}
  for j = 1, #members do sums[j] = 0 end
  for k = first, last do
    for s = 1, #members, 1000 do
      local e = math.min(s + 999, #members)
      local scores = redis.call('ZMSCORE', keys[k], unpack(members, s, e))
      for j = s, e do
        local v = scores[j - s + 1]
        if v then sums[j] = sums[j] + tonumber(v) end
      end
    end
  end
  return sums
end
`;

/**
 * Exact top-k of the sums of several sorted sets, without summing them (Fagin's threshold
 * algorithm): read each set's `depth` highest members; a member in none of those lists totals at
 * most the sum of the sets' depth-th scores. Once the k-th best exact total of the members seen
 * is above that bound nothing unseen can enter the top k; otherwise look twice as deep.
 * KEYS the sets. ARGV[1] k, ARGV[2] first depth, ARGV[3] rounds, ARGV[4] give up after this many
 * members seen, ARGV[5..] types: only pair members "TA\\tA\\tTB\\tB" with a side of one of them.
 * Returns {1, member, total, ...} (every member whose total reaches the k-th, ties included, for
 * the caller to order by name) or {0} when it gave up (flat data, where the bound never bites:
 * the caller sums the sets instead, which is cheap exactly there).
 */
export const TOP_SCRIPT = `${SUM_SCORES}
local limit, depth, rounds, maxSeen = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local filter = nil
if #ARGV > 4 then
  filter = {}
  for i = 5, #ARGV do filter[ARGV[i]] = true end
end
local totals, members, seen = {}, {}, 0
for round = 1, rounds do
  local threshold, exhausted, fresh = 0, true, {}
  for k = 1, #KEYS do
    local rows = redis.call('ZREVRANGE', KEYS[k], 0, depth - 1, 'WITHSCORES')
    if #rows == 2 * depth then
      threshold = threshold + tonumber(rows[2 * depth])
      exhausted = false
    end
    for i = 1, #rows, 2 do
      local m = rows[i]
      if totals[m] == nil then
        local keep = true
        if filter then
          local ta, tb = string.match(m, '^([^\\t]*)\\t[^\\t]*\\t([^\\t]*)\\t')
          keep = (ta ~= nil) and (filter[ta] or filter[tb]) or false
        end
        if keep then
          totals[m] = 0
          fresh[#fresh + 1] = m
        else
          totals[m] = false
        end
      end
    end
  end
  if #fresh > 0 then
    local sums = sumScores(KEYS, 1, #KEYS, fresh)
    for j = 1, #fresh do
      totals[fresh[j]] = sums[j]
      members[#members + 1] = fresh[j]
    end
    seen = seen + #fresh
  end
  local values = {}
  for j = 1, #members do values[j] = totals[members[j]] end
  table.sort(values, function(a, b) return a > b end)
  local kth = values[limit]
  if exhausted or (kth ~= nil and kth > threshold) then
    local floor = kth or 0
    local out = {1}
    for j = 1, #members do
      local t = totals[members[j]]
      if t >= floor then
        out[#out + 1] = members[j]
        out[#out + 1] = t
      end
    end
    return out
  end
  if seen > maxSeen then return {0} end
  depth = depth * 2
end
return {0}
`;

/**
 * Members whose sum over the window's sets reaches minCount, with that sum and their sum over
 * the previous window's sets. A member totalling minCount over sets of spans s_i (days, summing
 * to D) has a score of at least minCount * s_i / D in one of them (else the sum falls short), so
 * the candidates are read per set by score (ZRANGEBYSCORE) and only they are summed. When every
 * such floor is 1 nothing is pruned: the sets are summed with ZUNIONSTORE instead.
 * KEYS[1] a scratch key, KEYS[2..1+n] the window's sets, KEYS[2+n..] the previous window's.
 * ARGV[1] n, ARGV[2] minCount, ARGV[3..2+n] each window set's span in days.
 * Returns {member, count, previous, ...}.
 */
export const RISING_SCRIPT = `${SUM_SCORES}
local n, minCount = tonumber(ARGV[1]), tonumber(ARGV[2])
local days = 0
for i = 1, n do days = days + tonumber(ARGV[2 + i]) end
local floors, prunes = {}, false
for i = 1, n do
  -- ceil(minCount * span / days) in integers (a float product could round up past a whole number)
  floors[i] = math.floor((minCount * tonumber(ARGV[2 + i]) + days - 1) / days)
  if floors[i] > 1 then prunes = true end
end
local list, current = {}, {}
if not prunes then
  local src = {}
  for i = 2, n + 1 do src[#src + 1] = KEYS[i] end
  redis.call('ZUNIONSTORE', KEYS[1], n, unpack(src))
  local rows = redis.call('ZRANGEBYSCORE', KEYS[1], minCount, '+inf', 'WITHSCORES')
  redis.call('DEL', KEYS[1])
  for i = 1, #rows, 2 do
    list[#list + 1] = rows[i]
    current[#current + 1] = tonumber(rows[i + 1])
  end
else
  local seen, candidates = {}, {}
  for i = 1, n do
    for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1 + i], floors[i], '+inf')) do
      if not seen[m] then
        seen[m] = true
        candidates[#candidates + 1] = m
      end
    end
  end
  local sums = sumScores(KEYS, 2, n + 1, candidates)
  for j = 1, #candidates do
    if sums[j] >= minCount then
      list[#list + 1] = candidates[j]
      current[#current + 1] = sums[j]
    end
  end
end
local previous = {}
if #KEYS > n + 1 and #list > 0 then previous = sumScores(KEYS, n + 2, #KEYS, list) end
local out = {}
for j = 1, #list do
  out[#out + 1] = list[j]
  out[#out + 1] = current[j]
  out[#out + 1] = previous[j] or 0
end
return out
`;

/**
 * Rebuilds one pre-summed block from its daily keys (the upgrade from the daily-only layout):
 * the block is replaced by the sum of the days, in one step, so a writer that adds to the days
 * and the block together is never counted twice or lost.
 * KEYS[1] the block, KEYS[2..] its days. ARGV[1] 'z' (sorted sets) or 'h' (hashes), ARGV[2] ttl.
 */
export const REBUILD_BLOCK_SCRIPT = `
redis.call('DEL', KEYS[1])
if ARGV[1] == 'z' then
  local src = {}
  for i = 2, #KEYS do src[#src + 1] = KEYS[i] end
  if #src > 0 then redis.call('ZUNIONSTORE', KEYS[1], #src, unpack(src)) end
else
  for i = 2, #KEYS do
    local h = redis.call('HGETALL', KEYS[i])
    for j = 1, #h, 2 do redis.call('HINCRBY', KEYS[1], h[j], h[j + 1]) end
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1
`;

/**
 * Surface forms of entities summed over a window, inside Redis: each entity's hash holds
 * "<day>\t<surface>" -> count for every day of the retention, so the window is picked here and
 * only the sums travel. KEYS the entities' hashes. ARGV[1], ARGV[2] the window's first and last
 * day as YYYYMMDD numbers. Returns, per key, {n, surface, count, ... (n pairs)} concatenated.
 */
export const SURFACES_SCRIPT = `
local first, last = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for k = 1, #KEYS do
  local h = redis.call('HGETALL', KEYS[k])
  local sums, order = {}, {}
  for j = 1, #h, 2 do
    local f = h[j]
    local day = tonumber(string.sub(f, 1, 4) .. string.sub(f, 6, 7) .. string.sub(f, 9, 10))
    if day and day >= first and day <= last then
      local surface = string.sub(f, 12)
      if not sums[surface] then
        sums[surface] = 0
        order[#order + 1] = surface
      end
      sums[surface] = sums[surface] + tonumber(h[j + 1])
    end
  end
  out[#out + 1] = #order
  for _, surface in ipairs(order) do
    out[#out + 1] = surface
    out[#out + 1] = sums[surface]
  end
end
return out
`;
