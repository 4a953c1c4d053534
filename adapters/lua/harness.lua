--[[ The LuaJIT harness of mmapspec's pipe protocol (see ../PROTOCOL.md).

	luajit harness.lua [MODULE]

Exposes any module with the documented Lua API (`require'mmap'`, or MODULE,
found through LUA_PATH / LUA_CPATH) to the conformance runner, one JSON object per
line on stdin/stdout:

	mmapspec run --adapter pipe --adapter-option pipe_cmd='luajit adapters/lua/harness.lua'

Outcomes: a value; the documented `nil,err,errcode` return -> errcode; a raised
error (caught with pcall) -> raised; what the harness cannot express on this OS
-> unsupported. Errors in the harness itself -> harness_error.

Capabilities default to the whole documented API minus OS handles (Windows
only). Narrow them with a table `mmapspec_capabilities` in the module, or with
the environment variable MMAPSPEC_CAPS holding a JSON object; either replaces
the fields it names (same fields as the protocol's `capabilities`). The fields
from before the split are read as the protocol reads them: `alignment_helpers`
sets `pagesize` and `alignment`, and then `addr` sets `addr_request` too.
MMAPSPEC_IMPL_NAME / MMAPSPEC_IMPL_VERSION override the reported name/version.

JSON, base64 and the protocol's integers: codec.lua, next to this file (lua-cjson
if installed, else dkjson, reads requests; its own encoder writes responses).
]]

local ffi = require'ffi'
local bit = require'bit'
local C = ffi.C

-- the codec lives next to this file, wherever the harness is run from
local here = debug.getinfo(1, 'S').source:match('^@(.*[/\\])') or './'
local codec = dofile(here..'codec.lua')
local decode, json_lib, encode = codec.decode, codec.json_lib, codec.encode
local array, NULL, int, num, ptr, addr_int =
	codec.array, codec.NULL, codec.int, codec.num, codec.ptr, codec.addr_int
local base64_encode, base64_decode = codec.base64_encode, codec.base64_decode

ffi.cdef[[
int dup(int oldfd);
int dup2(int oldfd, int newfd);
intptr_t write(int fd, const void *buf, size_t count);
int getpid(void);
int open(const char *pathname, int flags, ...);
int close(int fd);
]]

local PROTOCOL = 1
local modname = arg and arg[1] or 'mmap'

-- stdout belongs to the protocol alone: anything else printed (print() in the
-- module, a C library's message) goes to stderr instead of corrupting a line.
local OUT = C.dup(1)
C.dup2(2, 1)

local function log(...)
	io.stderr:write('harness.lua: ', table.concat({...}, ' '), '\n')
end

local function send(msg)
	local s = encode(msg)..'\n'
	local p, n = ffi.cast('const char*', s), #s
	while n > 0 do
		local w = tonumber(C.write(OUT, p, n))
		if w < 0 then
			if ffi.errno() ~= 4 then os.exit(3) end -- EINTR: retry; else the runner is gone
		else p, n = p + w, n - w end
	end
end

-- outcomes ---------------------------------------------------------------------------------

local Outcome = {} -- an error object carrying a ready-made outcome
local function outcome(o) return setmetatable(o, Outcome) end

-- call a function of the module under test and sort out how it ended
local function check(ok, v, err, code, ...)
	if not ok then
		error(outcome{outcome = 'raised', message = tostring(v)}, 0)
	end
	if type(v) == 'nil' and err ~= nil then
		local errcode = code
		if errcode == nil then errcode = err end
		if type(errcode) ~= 'string' then errcode = int(tonumber(errcode) or errcode) end
		error(outcome{outcome = 'errcode', errcode = errcode, message = tostring(err)}, 0)
	end
	return v, err, code, ...
end
local function try(f, ...) return check(pcall(f, ...)) end

-- files the harness opens on the implementation's behalf ----------------------------------

local O_FLAGS = {r = 0, ['r+'] = 2, ['w+'] = bit.bor(2, 0x40, 0x200)} -- O_RDWR|O_CREAT|O_TRUNC

-- the value to pass as `file`, and a function closing what was opened here
local function open_file(ref)
	if ref == nil then return nil, function() end end
	if ref.kind == 'name' then return ref.path, function() end end
	if ref.kind == 'fd' then
		local fd = C.open(ref.path, O_FLAGS[ref.mode], ffi.cast('int', 438))
		if fd < 0 then
			error(outcome{outcome = 'harness_error', message = 'cannot open '..ref.path..
				' ('..ref.mode..') to pass as an fd: errno '..ffi.errno()}, 0)
		end
		return fd, function() C.close(fd) end
	end
	if ref.kind == 'fileobj' then
		local f, err = io.open(ref.path, ref.mode..'b')
		if not f then
			error(outcome{outcome = 'harness_error', message = 'cannot open '..ref.path..
				' ('..ref.mode..') to pass as a FILE*: '..tostring(err)}, 0)
		end
		if ref.pending and ref.pending ~= '' then
			local buf, len = base64_decode(ref.pending)
			f:setvbuf('full', len + 4096) -- keep the pending bytes in the buffer, unflushed
			f:write(ffi.string(buf, len))
		end
		return f, function() f:close() end
	end
	error(outcome{outcome = 'unsupported', capability = 'file:'..tostring(ref.kind)}, 0)
end

-- capabilities -------------------------------------------------------------------------------

local function capabilities(mod)
	local caps = {
		file_kinds = {'name', 'fd', 'fileobj'}, -- OS handles are Windows-only
		access_modes = {'', 'w', 'c', 'x', 'wx', 'cx'},
		call_forms = {'table', 'positional'},
		anonymous = true, tagname = true, unlink = true, mirror = true,
		addr = true, addr_request = true, async_flush = true, range_flush = true,
		filesize = true, pagesize = true, alignment = true,
	}
	local function override(t)
		-- A table written before the split names alignment_helpers, whose addr
		-- meant addr_request too; read it so, unless it names the new fields.
		local old = t.alignment_helpers ~= nil
		for k, v in pairs(t) do
			if k ~= 'alignment_helpers' then caps[k] = v end
		end
		if old then
			if t.pagesize == nil then caps.pagesize = t.alignment_helpers end
			if t.alignment == nil then caps.alignment = t.alignment_helpers end
			if t.addr ~= nil and t.addr_request == nil then caps.addr_request = t.addr end
		end
	end
	if type(mod.mmapspec_capabilities) == 'table' then override(mod.mmapspec_capabilities) end
	local env = os.getenv('MMAPSPEC_CAPS')
	if env and env ~= '' then override(decode(env)) end
	for _, k in ipairs{'file_kinds', 'access_modes', 'call_forms'} do
		caps[k] = array(caps[k])
	end
	return caps
end

-- handles ------------------------------------------------------------------------------------

local live = {} -- handle -> {obj=, span=, close=, maps=, handle=}
local next_handle = 1
-- Freed entries stay, so that flush on a freed map is the binding's to answer, but only
-- the last FREED_KEPT of them: 10,000 map + free cycles must not grow the harness.
local FREED_KEPT = 16
local freed_order = {} -- handles of freed entries, oldest first

local function new_handle(entry)
	local h = next_handle
	next_handle = h + 1
	live[h] = entry
	entry.handle = h
	return h
end

local function forget_freed(e)
	freed_order[#freed_order + 1] = e.handle
	while #freed_order > FREED_KEPT do
		live[table.remove(freed_order, 1)] = nil
	end
end

local function entry_of(h)
	local e = live[h]
	if not e then
		error(outcome{outcome = 'raised', message = 'handle '..tostring(h)..': no such map or mirror'}, 0)
	end
	return e
end

local function release(e)
	if e.freed then return end
	e.freed = true
	if e.close then e.close() end
	forget_freed(e)
	for _, m in ipairs(e.maps or {}) do
		if not m.freed then m.freed = true; forget_freed(m) end
	end
end

local function map_info(h, m)
	return {handle = h, addr = addr_int(m.addr), size = int(m.size)}
end

-- a range of a live map, as a byte pointer (never touches freed or foreign memory)
local function span(a, offset, length)
	local e = entry_of(a.handle)
	if e.freed then
		error(outcome{outcome = 'raised', message = 'handle '..a.handle..': the map was freed'}, 0)
	end
	offset, length = num(offset), num(length)
	if offset < 0 or length < 0 or offset + length > e.span then
		error(outcome{outcome = 'raised', message = string.format(
			'range %d+%d is outside the map\'s %d bytes', offset, length, e.span)}, 0)
	end
	return ffi.cast('uint8_t*', e.obj.addr) + offset, length
end

-- operations ---------------------------------------------------------------------------------

local mmap, load_error
do
	local ok, mod = pcall(require, modname)
	if ok and type(mod) == 'table' then mmap = mod
	else
		load_error = 'cannot load Lua module '..modname..': '..
			tostring(mod):match('^[^\n]*')..' (LUA_PATH='..tostring(os.getenv('LUA_PATH'))..')'
	end
end

local ops = {}

function ops.start(a)
	if load_error then error(outcome{outcome = 'harness_error', message = load_error}, 0) end
	return {
		protocol = PROTOCOL,
		implementation = {
			name = os.getenv('MMAPSPEC_IMPL_NAME') or ('lua:'..modname),
			version = os.getenv('MMAPSPEC_IMPL_VERSION') or tostring(mmap._VERSION or 'unknown'),
			language = jit and jit.version or _VERSION,
			harness = 'adapters/lua/harness.lua ('..json_lib..')',
		},
		capabilities = capabilities(mmap),
		pid = C.getpid(),
	}
end

function ops.pagesize() return int(try(mmap.pagesize)) end
function ops.aligned_size(a) return int(try(mmap.aligned_size, num(a.size), a.dir)) end
function ops.aligned_addr(a) return addr_int(try(mmap.aligned_addr, ptr(a.addr), a.dir)) end

function ops.map(a)
	local file, close = open_file(a.file)
	local ok, m = pcall(function()
		if a.form == 'positional' then
			return try(mmap.map, file, a.access, num(a.size), num(a.offset), ptr(a.addr), a.tagname)
		end
		return try(mmap.map, {file = file, access = a.access, size = num(a.size),
			offset = num(a.offset), addr = ptr(a.addr), tagname = a.tagname})
	end)
	if not ok then close(); error(m, 0) end
	local e = {obj = m, span = tonumber(m.size), close = close}
	return map_info(new_handle(e), m)
end

function ops.mirror(a)
	local file, close = open_file(a.file)
	local ok, m = pcall(function()
		if a.form == 'positional' then
			return try(mmap.mirror, file, num(a.size), num(a.times), ptr(a.addr))
		end
		return try(mmap.mirror, {file = file, size = num(a.size), times = num(a.times), addr = ptr(a.addr)})
	end)
	if not ok then close(); error(m, 0) end
	local e = {obj = m, span = tonumber(m.size) * #m, close = close, maps = {}}
	local h = new_handle(e)
	local maps = array{}
	for i = 1, #m do
		local me = {obj = m[i], span = tonumber(m[i].size), in_mirror = true}
		e.maps[i] = me
		maps[i] = map_info(new_handle(me), m[i])
	end
	return {handle = h, addr = addr_int(m.addr), size = int(m.size), maps = maps}
end

function ops.flush(a)
	local m = entry_of(a.handle).obj
	local r
	if a.addr == nil and a.size == nil then
		if a.async == nil then r = try(m.flush, m) else r = try(m.flush, m, a.async) end
	elseif a.async == nil then
		r = try(m.flush, m, ptr(a.addr), num(a.size))
	else
		r = try(m.flush, m, a.async, ptr(a.addr), num(a.size))
	end
	if type(r) == 'cdata' then return int(r) end
	if type(r) == 'nil' then return NULL end
	return r
end

function ops.free(a)
	local e = entry_of(a.handle)
	try(e.obj.free, e.obj)
	release(e)
	return NULL
end

function ops.unlink_map(a)
	local m = entry_of(a.handle).obj
	try(m.unlink, m)
	return NULL
end

function ops.unlink(a)
	try(mmap.unlink, a.tagname)
	return NULL
end

function ops.filesize(a)
	local file, close = open_file(a.file)
	local ok, r = pcall(function()
		if a.size == nil then return try(mmap.filesize, file) end
		return try(mmap.filesize, file, num(a.size))
	end)
	close()
	if not ok then error(r, 0) end
	return int(r)
end

function ops.read(a)
	return base64_encode(span(a, a.offset, a.length))
end

function ops.write(a)
	local data, len = base64_decode(a.data)
	local p = span(a, a.offset, len)
	ffi.copy(p, data, len) -- to memory mapped without write access: the documented crash
	return NULL
end

local function free_all()
	for _, e in pairs(live) do
		if not e.freed and not e.in_mirror then pcall(e.obj.free, e.obj) end
		release(e)
	end
	live = {}
end

function ops.stop()
	free_all()
	return NULL
end

-- the loop ---------------------------------------------------------------------------------

-- the response to one request line, and whether it was `stop`
local function answer(line)
	local req
	local ok, err = pcall(function() req = decode(line) end)
	if not ok or type(req) ~= 'table' then
		return {id = 0, outcome = 'harness_error', message = 'request is not JSON: '..tostring(err)}
	end
	local id = type(req.id) == 'number' and req.id or 0
	local op = ops[req.op]
	if not op then
		return {id = id, outcome = 'harness_error', message = 'unknown op '..tostring(req.op)}
	end
	local ok2, v = xpcall(op, function(e)
		if getmetatable(e) == Outcome then return e end
		return outcome{outcome = 'harness_error', message = tostring(e), trace = debug.traceback()}
	end, req.args or {})
	local stop = req.op == 'stop'
	if ok2 then return {id = id, outcome = 'value', value = v}, stop end
	if v.trace then log(v.message, v.trace); v.trace = nil end
	v.id = id
	return setmetatable(v, nil), stop
end

for line in io.stdin:lines() do
	if line ~= '' then
		local resp, stop = answer(line)
		send(resp)
		if stop then os.exit(0) end
	end
end
free_all() -- stdin closed: the runner went away
