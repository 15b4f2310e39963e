-- Presence shared by every instance: the same rules as `PresenceRegistry` (src/presence.rs),
-- kept in Redis and run atomically. ARGV[1] is the operation, ARGV[2] the key prefix.
--
-- Per user, hash <prefix>pu:<user>:
--   s:<instance>:<session>  "online" | "away"   (one field per live session)
--   invisible               "1" while the user appears offline
--   busy                    "1" while the user chose "busy / do not disturb" (never with invisible)
--   announced               what others were last told ("online" | "away" | "busy"; absent:
--                           offline)
--   away_since              when the announced status became away (Unix ms)
-- Per instance, set <prefix>iu:<instance>: the users with sessions there (to reap a dead one).
--
-- Who is viewing a conversation, the same way:
--   hash <prefix>vc:<conversation>   user -> number of their sessions viewing it
--   set  <prefix>iv:<instance>       "<conversation>|<user>|<session>" viewing there
-- And who is typing where, per instance (to stop it when the instance dies):
--   set  <prefix>ty:<instance>       "<conversation>|<user>"
--
-- A change to announce is returned as {user, status, away_since or ""}.

local op = ARGV[1]
local prefix = ARGV[2]

local function user_key(user) return prefix .. 'pu:' .. user end
local function instance_key(instance) return prefix .. 'iu:' .. instance end

-- Whether the user has sessions, whether any is online, and whether any is on `instance`.
local function scan(key, instance)
  local all = redis.call('HGETALL', key)
  local any, online, mine = false, false, false
  local own = instance and ('s:' .. instance .. ':') or nil
  for i = 1, #all, 2 do
    local field = all[i]
    if string.sub(field, 1, 2) == 's:' then
      any = true
      if all[i + 1] == 'online' then online = true end
      if own and string.sub(field, 1, #own) == own then mine = true end
    end
  end
  return any, online, mine
end

local function reannounce(key, user, now)
  local any, online = scan(key, nil)
  local status = 'offline'
  if online then status = 'online' elseif any then status = 'away' end
  local invisible = redis.call('HGET', key, 'invisible') == '1'
  if invisible and any then status = 'offline' end
  if any and not invisible and redis.call('HGET', key, 'busy') == '1' then status = 'busy' end
  local announced = redis.call('HGET', key, 'announced') or 'offline'
  -- Losing the last session is only announced by `expire`, after the grace period.
  if status == announced or (status == 'offline' and not invisible) then return nil end
  redis.call('HSET', key, 'announced', status)
  local since = ''
  if status == 'away' then
    redis.call('HSET', key, 'away_since', now)
    since = now
  else
    redis.call('HDEL', key, 'away_since')
  end
  return { user, status, since }
end

-- One viewing session fewer; true when it was the user's last (anywhere).
local function unview(conversation, user)
  local key = prefix .. 'vc:' .. conversation
  local n = redis.call('HINCRBY', key, user, -1)
  if n <= 0 then redis.call('HDEL', key, user) end
  return n == 0
end

-- After sessions went without a goodbye: announce the user's new aggregate, or, with no session
-- left anywhere, forget them and announce them offline if they were shown present.
local function settle(key, user, now, out)
  if scan(key, nil) then
    local change = reannounce(key, user, now)
    if change then
      out[#out + 1] = change[1]; out[#out + 1] = change[2]; out[#out + 1] = change[3]
    end
  else
    local announced = redis.call('HGET', key, 'announced') or 'offline'
    redis.call('DEL', key)
    if announced ~= 'offline' then
      out[#out + 1] = user; out[#out + 1] = 'offline'; out[#out + 1] = ''
    end
  end
end

if op == 'view_join' then
  -- 1 when it is the user's first session viewing the conversation, anywhere.
  local conversation, user, instance, session = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
  local entry = conversation .. '|' .. user .. '|' .. session
  if redis.call('SADD', prefix .. 'iv:' .. instance, entry) == 0 then return 0 end
  local n = redis.call('HINCRBY', prefix .. 'vc:' .. conversation, user, 1)
  if n == 1 then return 1 end
  return 0
elseif op == 'view_leave' then
  -- 1 when it was the user's last session viewing the conversation, anywhere.
  local conversation, user, instance, session = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
  local entry = conversation .. '|' .. user .. '|' .. session
  if redis.call('SREM', prefix .. 'iv:' .. instance, entry) == 0 then return 0 end
  if unview(conversation, user) then return 1 end
  return 0
elseif op == 'typing' then
  local instance, entry = ARGV[3], ARGV[4] .. '|' .. ARGV[5]
  if ARGV[6] == '1' then
    redis.call('SADD', prefix .. 'ty:' .. instance, entry)
  else
    redis.call('SREM', prefix .. 'ty:' .. instance, entry)
  end
  return 0
elseif op == 'view_forget' then
  -- The user left the conversation: none of their sessions views it any more.
  redis.call('HDEL', prefix .. 'vc:' .. ARGV[3], ARGV[4])
  return 0
elseif op == 'viewers' then
  -- {count, user...}: the users only when they are at most ARGV[4].
  local key = prefix .. 'vc:' .. ARGV[3]
  local n = redis.call('HLEN', key)
  local out = {tostring(n)}
  if n <= tonumber(ARGV[4]) then
    for _, user in ipairs(redis.call('HKEYS', key)) do out[#out + 1] = user end
  end
  return out
elseif op == 'is_viewing' then
  return redis.call('HEXISTS', prefix .. 'vc:' .. ARGV[3], ARGV[4])
elseif op == 'connect' then
  local user, instance, session, now = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
  local key = user_key(user)
  redis.call('HSET', key, 's:' .. instance .. ':' .. session, 'online')
  redis.call('SADD', instance_key(instance), user)
  return reannounce(key, user, now)
elseif op == 'set_status' then
  local user, instance, session, status, now = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
  local key = user_key(user)
  local field = 's:' .. instance .. ':' .. session
  if redis.call('HEXISTS', key, field) == 0 then return nil end
  if status == 'offline' then
    redis.call('HSET', key, 'invisible', '1')
    redis.call('HDEL', key, 'busy')
  elseif status == 'busy' then
    redis.call('HSET', key, 'busy', '1')
    redis.call('HDEL', key, 'invisible')
  else
    -- A session's own idleness keeps the user's choice; choosing online ends it.
    redis.call('HSET', key, field, status)
    if status == 'online' then redis.call('HDEL', key, 'invisible', 'busy') end
  end
  return reannounce(key, user, now)
elseif op == 'disconnect' then
  -- {"last"} when the user has no session left anywhere, else {"others", change...}.
  local user, instance, session, now = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
  local key = user_key(user)
  redis.call('HDEL', key, 's:' .. instance .. ':' .. session)
  local any, _, mine = scan(key, instance)
  if not mine then redis.call('SREM', instance_key(instance), user) end
  if not any then return { 'last' } end
  local change = reannounce(key, user, now)
  if change then return { 'others', change[1], change[2], change[3] } end
  return { 'others' }
elseif op == 'expire' then
  -- 1 when the user, still without sessions, was shown present (and is now forgotten).
  local key = user_key(ARGV[3])
  if scan(key, nil) then return 0 end
  local announced = redis.call('HGET', key, 'announced') or 'offline'
  redis.call('DEL', key)
  if announced ~= 'offline' then return 1 end
  return 0
elseif op == 'statuses' then
  -- Flat {status, away_since or ""} per user in ARGV[3..].
  local out = {}
  for i = 3, #ARGV do
    local v = redis.call('HMGET', user_key(ARGV[i]), 'announced', 'away_since')
    out[#out + 1] = v[1] or 'offline'
    out[#out + 1] = v[2] or ''
  end
  return out
elseif op == 'reconcile' then
  -- After an outage: this instance's sessions and views in Redis become exactly the ones it
  -- has (ARGV[5] session triples user, session, status; then ARGV[6 + 3n] view triples
  -- conversation, user, session). Returns what to announce, as `reap` does.
  local instance, now, n = ARGV[3], ARGV[4], tonumber(ARGV[5])
  local own = 's:' .. instance .. ':'
  local affected = {}
  for _, user in ipairs(redis.call('SMEMBERS', instance_key(instance))) do
    affected[user] = true
    local key = user_key(user)
    for _, field in ipairs(redis.call('HKEYS', key)) do
      if string.sub(field, 1, #own) == own then redis.call('HDEL', key, field) end
    end
  end
  redis.call('DEL', instance_key(instance))
  for i = 0, n - 1 do
    local user, session, status = ARGV[6 + 3 * i], ARGV[7 + 3 * i], ARGV[8 + 3 * i]
    local key = user_key(user)
    affected[user] = true
    if status == 'offline' then
      redis.call('HSET', key, 'invisible', '1')
      status = 'online'
    elseif status == 'busy' then
      redis.call('HSET', key, 'busy', '1')
      status = 'online'
    end
    redis.call('HSET', key, own .. session, status)
    redis.call('SADD', instance_key(instance), user)
  end
  local out = {}
  for user, _ in pairs(affected) do
    local key = user_key(user)
    settle(key, user, now, out)
  end
  local views_key = prefix .. 'iv:' .. instance
  local wanted = {}
  local first = 6 + 3 * n
  for i = first, #ARGV, 3 do
    wanted[ARGV[i] .. '|' .. ARGV[i + 1] .. '|' .. ARGV[i + 2]] = { ARGV[i], ARGV[i + 1] }
  end
  for _, entry in ipairs(redis.call('SMEMBERS', views_key)) do
    if not wanted[entry] then
      redis.call('SREM', views_key, entry)
      local conversation, user = string.match(entry, '^([^|]+)|([^|]+)|')
      if conversation and unview(conversation, user) then
        out[#out + 1] = 'view'; out[#out + 1] = conversation; out[#out + 1] = user
      end
    end
  end
  for entry, pair in pairs(wanted) do
    if redis.call('SADD', views_key, entry) == 1 then
      redis.call('HINCRBY', prefix .. 'vc:' .. pair[1], pair[2], 1)
    end
  end
  return out
elseif op == 'reap' then
  -- A dead instance's sessions go; flat {user, status, away_since} per change to announce
  -- (status "offline": the user has no session left and was shown present), then
  -- {"view", conversation, user} per view left and {"typing", conversation, user} per typer.
  local dead, now = ARGV[3], ARGV[4]
  local own = 's:' .. dead .. ':'
  local out = {}
  for _, user in ipairs(redis.call('SMEMBERS', instance_key(dead))) do
    local key = user_key(user)
    for _, field in ipairs(redis.call('HKEYS', key)) do
      if string.sub(field, 1, #own) == own then redis.call('HDEL', key, field) end
    end
    settle(key, user, now, out)
  end
  redis.call('DEL', instance_key(dead))
  -- Its viewing sessions go too: {"view", conversation, user} for each user who left a view.
  for _, entry in ipairs(redis.call('SMEMBERS', prefix .. 'iv:' .. dead)) do
    local conversation, user = string.match(entry, '^([^|]+)|([^|]+)|')
    if conversation and unview(conversation, user) then
      out[#out + 1] = 'view'; out[#out + 1] = conversation; out[#out + 1] = user
    end
  end
  redis.call('DEL', prefix .. 'iv:' .. dead)
  -- And its typers stop: {"typing", conversation, user}.
  for _, entry in ipairs(redis.call('SMEMBERS', prefix .. 'ty:' .. dead)) do
    local conversation, user = string.match(entry, '^([^|]+)|([^|]+)$')
    if conversation then
      out[#out + 1] = 'typing'; out[#out + 1] = conversation; out[#out + 1] = user
    end
  end
  redis.call('DEL', prefix .. 'ty:' .. dead)
  return out
end
return redis.error_reply('unknown presence operation ' .. tostring(op))
