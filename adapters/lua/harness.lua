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
only), with integers as Lua numbers: int_range 'f64' (sizes are exact to 2^53;
addresses travel exactly as pointers). Narrow them with a table `mmapspec_capabilities` in the module, or with
the environment variable MMAPSPEC_CAPS holding a JSON object; either replaces
the fields it names (same fields as the protocol's `capabilities`). The fields
from before the split are read as the protocol reads them: `alignment_helpers`
sets `pagesize` and `alignment`, and then `addr` sets `addr_request` too.
MMAPSPEC_IMPL_NAME / MMAPSPEC_IMPL_VERSION override the reported name/version.

JSON, base64 and the protocol's integers: codec.lua, next to this file (lua-cjson
if installed, else dkjson, reads requests; its own encoder writes responses). The
operations: operations.lua, generated from adapters/operations.py; each argument is
decoded by its wire type, the binding called by the operation's name (ops.NAME), and
the result encoded by its type, so an operation added to the table needs only its
ops.NAME here.
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

local capabilities = dofile(here..'capabilities.lua')(codec)

-- handles ------------------------------------------------------------------------------------

local live = {} -- handle -> {obj=, span=, close=, maps=}
local next_handle = 1

local function new_handle(entry)
	local h = next_handle
	next_handle = h + 1
	live[h] = entry
	return h
end

local function entry_of(h)
	local e = live[h]
	if not e then
		error(outcome{outcome = 'raised', message = 'handle '..tostring(h)..': no such map or mirror (freed, or never issued)'}, 0)
	end
	return e
end

local function release(e)
	if e.freed then return end
	e.freed = true
	if e.close then e.close() end
	for _, m in ipairs(e.maps or {}) do m.freed = true end
end

local function map_info(h, m)
	return {handle = h, addr = addr_int(m.addr), size = int(m.size)}
end

-- a range of a live map, as a byte pointer (never touches freed or foreign memory)
local function span(h, offset, length)
	local e = entry_of(h)
	if e.freed then
		error(outcome{outcome = 'raised', message = 'handle '..h..': the map was freed'}, 0)
	end
	for i, m in ipairs(e.maps or {}) do -- a copy freed on its own left a hole: never touch it
		if m.freed then
			error(outcome{outcome = 'raised', message = 'handle '..h..': its copy '..i..
				' was freed on its own, so the mirror\'s memory has a hole'}, 0)
		end
	end
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

-- The binding calls: one function per operation, taking the arguments decoded by
-- their wire types (perform, below) and returning what the binding returned.

function ops.pagesize() return try(mmap.pagesize) end
function ops.aligned_size(a) return try(mmap.aligned_size, a.size, a.dir) end
function ops.aligned_addr(a) return try(mmap.aligned_addr, a.addr, a.dir) end

function ops.map(a)
	if a.form == 'positional' then
		return try(mmap.map, a.file, a.access, a.size, a.offset, a.addr, a.tagname)
	end
	return try(mmap.map, {file = a.file, access = a.access, size = a.size,
		offset = a.offset, addr = a.addr, tagname = a.tagname})
end

function ops.mirror(a)
	if a.form == 'positional' then return try(mmap.mirror, a.file, a.size, a.times, a.addr) end
	return try(mmap.mirror, {file = a.file, size = a.size, times = a.times, addr = a.addr})
end

function ops.flush(a)
	local m = entry_of(a.handle).obj
	-- type() and not == nil: a NULL pointer (address 0) equals nil in LuaJIT
	local addr, size = type(a.addr) ~= 'nil', type(a.size) ~= 'nil'
	if not addr and not size then
		if a.async == nil then return try(m.flush, m) end
		return try(m.flush, m, a.async)
	elseif a.async == nil then
		return try(m.flush, m, a.addr, a.size)
	end
	return try(m.flush, m, a.async, a.addr, a.size)
end

function ops.free(a)
	local e = entry_of(a.handle)
	try(e.obj.free, e.obj)
	release(e)
	live[a.handle] = nil -- a freed handle names nothing: freeing it again is raised
	for _, m in ipairs(e.maps or {}) do live[m.handle] = nil end
end

function ops.unlink_map(a)
	local m = entry_of(a.handle).obj
	try(m.unlink, m)
end

function ops.unlink(a) try(mmap.unlink, a.tagname) end

function ops.filesize(a)
	if a.size == nil then return try(mmap.filesize, a.file) end
	return try(mmap.filesize, a.file, a.size)
end

function ops.read(a)
	local p, len = span(a.handle, a.offset, a.length)
	return {ptr = p, len = len}
end

function ops.write(a)
	local p = span(a.handle, a.offset, a.data.len)
	ffi.copy(p, a.data.buf, a.data.len) -- to memory mapped without write access: the documented crash
end

-- The table drives the rest: each argument decoded by its wire type, the binding
-- called by the operation's name, the result encoded by its type
-- (operations.lua, generated from adapters/operations.py).

local OPERATION = {}
for _, op in ipairs(dofile(here..'operations.lua')) do OPERATION[op.name] = op end

local function as_is(v) return v end
local decode_wire = {
	int = num, addr = ptr, handle = as_is, str = as_is, bool = as_is, form = as_is,
	bytes = function(s) local buf, len = base64_decode(s); return {buf = buf, len = len} end,
}

local function success(r)
	if type(r) == 'nil' then return NULL end
	if type(r) == 'cdata' then return int(r) end
	return r -- a boolean as it is; anything else as the binding returned it
end

local function new_map(m, close, in_mirror)
	local e = {obj = m, span = tonumber(m.size), close = close, in_mirror = in_mirror}
	e.handle = new_handle(e)
	return e
end

local encode_result = {
	int = int, addr = addr_int, success = success,
	null = function() return NULL end,
	base64 = function(r) return base64_encode(r.ptr, r.len) end,
	mapinfo = function(m, close) return map_info(new_map(m, close).handle, m) end,
	mirrorinfo = function(m, close)
		local e = new_map(m, close)
		e.span, e.maps = tonumber(m.size) * #m, {}
		local maps = array{}
		for i = 1, #m do
			e.maps[i] = new_map(m[i], nil, true)
			maps[i] = map_info(e.maps[i].handle, m[i])
		end
		return {handle = e.handle, addr = addr_int(m.addr), size = int(m.size), maps = maps}
	end,
}

-- one request of the table: files the harness opened are closed when the call
-- fails or returns anything but a map or mirror, else when that is freed
local function perform(op, a)
	local args, opened = {}, {}
	local function close_all() for i = #opened, 1, -1 do opened[i]() end end
	for _, arg in ipairs(op.args) do
		local v = a[arg.key]
		if v == nil then
			if not arg.optional and arg.default == nil then error('missing argument '..arg.key, 0) end
			v = arg.default
		elseif arg.wire == 'file' then
			local f, close = open_file(v)
			opened[#opened+1] = close
			v = f
		else
			v = decode_wire[arg.wire](v)
		end
		args[arg.key] = v
	end
	local ok, r = pcall(ops[op.name], args)
	if not ok then close_all(); error(r, 0) end
	if op.result == 'mapinfo' or op.result == 'mirrorinfo' then
		return encode_result[op.result](r, close_all)
	end
	close_all()
	return encode_result[op.result](r)
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
	local spec = OPERATION[req.op]
	local op = (req.op == 'start' or req.op == 'stop') and ops[req.op]
		or spec and function(a) return perform(spec, a) end
	if not op then
		return {id = id, outcome = 'harness_error', message = 'unknown op '..tostring(req.op)}
	end
	local ok2, v = xpcall(op, function(e)
		if getmetatable(e) == Outcome then return e end
		return outcome{outcome = 'harness_error', message = tostring(e), trace = debug.traceback()}
	end, type(req.args) == 'table' and req.args or {})
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
