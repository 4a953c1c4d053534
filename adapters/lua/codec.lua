--[[ The codec of the LuaJIT harness (harness.lua): JSON in and out, base64, and the
protocol's integers and addresses (see ../PROTOCOL.md, "Value encodings").

	local codec = dofile(dir..'codec.lua')

JSON in: lua-cjson if installed, else dkjson (Debian: lua-cjson / lua-dkjson).
JSON out: the small encoder below, which keeps integers exact (both libraries print
only 14 significant digits) and writes base64 text as it is.
]]

local ffi = require'ffi'
local bit = require'bit'

local SAFE_INT = 2^53 - 1

-- JSON in ---------------------------------------------------------------------

local decode, json_lib
do
	local ok, cjson = pcall(require, 'cjson')
	if ok then
		decode, json_lib = cjson.decode, 'cjson'
	else
		json_lib = 'dkjson'
		local dkjson = require'dkjson'
		decode = function(s)
			local v, _, err = dkjson.decode(s)
			if err then error(err, 0) end
			return v
		end
	end
end

-- JSON out ------------------------------------------------------------------------

local ARRAY = {} -- metatable marking a table to encode as an array
local B64TEXT = {} -- metatable of {text}: base64, written as it is (nothing to escape)
local NULL = setmetatable({}, {__tostring = function() return 'null' end})

local function array(t) return setmetatable(t, ARRAY) end

local function utf8_safe(s)
	-- JSON text must be UTF-8; bytes of a broken sequence become U+FFFD
	if not s:find'[\128-\255]' then return s end
	local out, i, n = {}, 1, #s
	while i <= n do
		local c = s:byte(i)
		local len = c < 0x80 and 1 or c >= 0xF0 and c < 0xF5 and 4 or c >= 0xE0 and 3
			or c >= 0xC2 and c < 0xE0 and 2 or 0
		local good = len > 0 and i + len - 1 <= n
		for k = i + 1, i + len - 1 do
			local b = s:byte(k)
			if not b or b < 0x80 or b > 0xBF then good = false end
		end
		if good then out[#out+1] = s:sub(i, i + len - 1); i = i + len
		else out[#out+1] = '\239\191\189'; i = i + 1 end
	end
	return table.concat(out)
end

local ESC = {['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}
local function quote(s)
	return '"'..utf8_safe(s):gsub('[%c"\\]', function(c)
		return ESC[c] or string.format('\\u%04x', c:byte())
	end)..'"'
end

-- an integer as the protocol wants it: a JSON number within +-(2^53-1), else a
-- string of decimal digits (I-JSON); accepts Lua numbers and 64-bit cdata
local function int(v)
	if type(v) ~= 'cdata' then return v end
	if ffi.istype('uint64_t', v) then
		if v > SAFE_INT then return (tostring(v):gsub('ULL$', '')) end
		return tonumber(v)
	end
	local i = ffi.cast('int64_t', v)
	if i > SAFE_INT or i < -SAFE_INT then return (tostring(i):gsub('LL$', '')) end
	return tonumber(i)
end

local encode
local function encode_into(v, buf)
	local t = type(v)
	if type(v) == 'nil' or v == NULL then buf[#buf+1] = 'null'
	elseif t == 'boolean' then buf[#buf+1] = tostring(v)
	elseif t == 'number' then
		if v ~= v or v == math.huge or v == -math.huge then buf[#buf+1] = quote(tostring(v))
		elseif v % 1 == 0 and v >= -SAFE_INT and v <= SAFE_INT then buf[#buf+1] = string.format('%d', v)
		elseif v % 1 == 0 then buf[#buf+1] = quote(string.format('%.0f', v))
		else buf[#buf+1] = string.format('%.17g', v) end
	elseif t == 'string' then buf[#buf+1] = quote(v)
	elseif t == 'table' and getmetatable(v) == B64TEXT then buf[#buf+1] = '"'..v[1]..'"'
	elseif t == 'table' and getmetatable(v) == ARRAY then
		buf[#buf+1] = '['
		for i = 1, #v do
			if i > 1 then buf[#buf+1] = ',' end
			encode_into(v[i], buf)
		end
		buf[#buf+1] = ']'
	elseif t == 'table' then
		buf[#buf+1] = '{'
		local first = true
		for k, x in pairs(v) do
			if not first then buf[#buf+1] = ',' end
			first = false
			buf[#buf+1] = quote(tostring(k))
			buf[#buf+1] = ':'
			encode_into(x, buf)
		end
		buf[#buf+1] = '}'
	else
		error('cannot encode a '..t..' as JSON')
	end
end
function encode(v)
	local buf = {}
	encode_into(v, buf)
	return table.concat(buf)
end

-- base64 ------------------------------------------------------------------------------

local B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
local b64enc = ffi.new('uint8_t[64]')
local b64dec = ffi.new('int16_t[256]', -1)
for i = 0, 255 do b64dec[i] = -1 end
for i = 1, 64 do b64enc[i-1] = B64:byte(i); b64dec[B64:byte(i)] = i - 1 end
local band, bor, shl, shr = bit.band, bit.bor, bit.lshift, bit.rshift

local function base64_encode(src, len) -- src: const uint8_t*; -> base64 text for encode()
	local out = ffi.new('uint8_t[?]', math.ceil(len / 3) * 4 + 1)
	local o, i = 0, 0
	while i + 2 < len do
		local n = bor(shl(src[i], 16), shl(src[i+1], 8), src[i+2])
		out[o], out[o+1] = b64enc[shr(n, 18)], b64enc[band(shr(n, 12), 63)]
		out[o+2], out[o+3] = b64enc[band(shr(n, 6), 63)], b64enc[band(n, 63)]
		o, i = o + 4, i + 3
	end
	local rest = len - i
	if rest > 0 then
		local n = shl(src[i], 16)
		if rest == 2 then n = bor(n, shl(src[i+1], 8)) end
		out[o], out[o+1] = b64enc[shr(n, 18)], b64enc[band(shr(n, 12), 63)]
		out[o+2] = rest == 2 and b64enc[band(shr(n, 6), 63)] or 61
		out[o+3] = 61 -- '='
		o = o + 4
	end
	-- JSON-ready: base64's alphabet needs no escaping, and a 4 KiB read's text is too
	-- long to scan character by character again for what quote() looks for
	return setmetatable({ffi.string(out, o)}, B64TEXT)
end

local function base64_decode(s) -- -> uint8_t[?], length
	local n = #s
	if n % 4 ~= 0 then error('base64: length is not a multiple of 4', 0) end
	local src = ffi.cast('const uint8_t*', s)
	local pad = (n > 0 and s:byte(n) == 61 and 1 or 0) + (n > 1 and s:byte(n-1) == 61 and 1 or 0)
	local len = n / 4 * 3 - pad
	local out = ffi.new('uint8_t[?]', len + 3)
	local o = 0
	for i = 0, n - 1, 4 do
		local a, b = b64dec[src[i]], b64dec[src[i+1]]
		local c = src[i+2] == 61 and 0 or b64dec[src[i+2]]
		local d = src[i+3] == 61 and 0 or b64dec[src[i+3]]
		if a < 0 or b < 0 or c < 0 or d < 0 then error('base64: bad character', 0) end
		local v = bor(shl(a, 18), shl(b, 12), shl(c, 6), d)
		out[o], out[o+1], out[o+2] = shr(v, 16), band(shr(v, 8), 255), band(v, 255)
		o = o + 3
	end
	return out, len
end

-- requests' integers --------------------------------------------------------------------

-- a size, offset or count: a Lua number, as a Lua caller would pass it
local function num(v)
	if type(v) == 'string' then return tonumber(v) end
	return v
end

-- an address: a void* made exactly from the integer (decimal strings beyond 2^53)
local function ptr(v)
	if v == nil then return nil end
	if type(v) == 'string' then
		local neg, digits = v:match('^(%-?)(%d+)$')
		local n = 0ULL
		for d in digits:gmatch('%d') do n = n * 10 + (d:byte() - 48) end
		if neg == '-' then n = -n end
		return ffi.cast('void*', n)
	end
	if type(v) == 'number' and v < 0 then return ffi.cast('void*', ffi.cast('int64_t', v)) end
	return ffi.cast('void*', v)
end

local function addr_int(p)
	-- not `p == nil`: a NULL pointer equals nil in LuaJIT, but it is address 0
	if type(p) == 'nil' then return NULL end
	if type(p) == 'number' then return p end
	return int(ffi.cast('uint64_t', ffi.cast('uintptr_t', p)))
end

return {
	decode = decode, json_lib = json_lib, encode = encode, array = array, NULL = NULL,
	int = int, num = num, ptr = ptr, addr_int = addr_int,
	base64_encode = base64_encode, base64_decode = base64_decode,
}
