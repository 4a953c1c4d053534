--[[ A small LuaJIT binding of the documented mmap API, for Linux, written for
mmapspec's own tests of the Lua harness (adapters/lua/harness.lua). It is NOT the
luapower library: it was written from the documentation (spec/mmap.md)
alone, over LuaJIT's FFI and the Linux system calls, to give the harness a real
module to drive. It implements map (file name, fd or FILE*, tagname, pagefile;
every access mode), map:flush, map:free, map:unlink, mmap.unlink, mmap.mirror,
pagesize, aligned_size, aligned_addr and filesize. It makes no claim to conform
everywhere: the conformance run reports where it does not.

Constants are Linux's generic ones (x86-64, arm64).
]]

local ffi = require'ffi'
local bit = require'bit'
local C = ffi.C

ffi.cdef[[
void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset);
int munmap(void *addr, size_t length);
int msync(void *addr, size_t length, int flags);
int open(const char *pathname, int flags, ...);
int close(int fd);
int ftruncate(int fd, int64_t length);
int64_t lseek(int fd, int64_t offset, int whence);
int posix_fallocate(int fd, int64_t offset, int64_t len);
int unlink(const char *pathname);
int getpagesize(void);
char *strerror(int errnum);
typedef struct FILE FILE;
int fileno(FILE *stream);
int fflush(FILE *stream);
]]

local PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
local MAP_SHARED, MAP_PRIVATE, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE =
	0x01, 0x02, 0x20, 0x10, 0x100000
local MS_ASYNC, MS_SYNC = 1, 4
local O_RDONLY, O_RDWR, O_CREAT, O_EXCL = 0, 2, 0x40, 0x80
local SEEK_SET, SEEK_CUR, SEEK_END = 0, 1, 2
local ENOENT, EEXIST, ENOMEM, ENOSPC = 2, 17, 12, 28
local MAP_FAILED = ffi.cast('void*', -1)
local SHM_DIR = '/dev/shm/'

local mmap = {}

local function oserror(errno)
	errno = errno or ffi.errno()
	return nil, ffi.string(C.strerror(errno)), errno
end

local function uptr(p) return ffi.cast('uintptr_t', p) end

function mmap.pagesize() return C.getpagesize() end

local function check_dir(dir)
	if dir ~= nil and dir ~= 'left' and dir ~= 'right' then
		error("dir: 'left' or 'right' expected, got "..tostring(dir), 3)
	end
end

function mmap.aligned_size(size, dir)
	check_dir(dir)
	local ps = mmap.pagesize()
	if dir == 'left' then return math.floor(size / ps) * ps end
	return math.ceil(size / ps) * ps
end

function mmap.aligned_addr(ptr, dir)
	check_dir(dir)
	local ps = mmap.pagesize()
	local p = uptr(ptr)
	local rem = p % ps
	if rem == 0 then return ffi.cast('void*', p) end
	if dir == 'left' then return ffi.cast('void*', p - rem) end
	return ffi.cast('void*', p - rem + ps)
end

local ACCESS = {[''] = true, w = true, c = true, x = true, wx = true, cx = true}

-- the OS file behind the `file` argument: fd, whether we opened it, its path
local function open_file(file, write, create)
	if type(file) == 'string' then
		local flags = write and O_RDWR or O_RDONLY
		local fd = C.open(file, flags)
		if fd >= 0 then return fd, true, false end
		if ffi.errno() ~= ENOENT then return oserror() end
		if not create then return nil, 'file not found: '..file, 'no_file' end
		fd = C.open(file, bit.bor(O_RDWR, O_CREAT, O_EXCL), ffi.cast('int', 438)) -- 0666
		if fd < 0 then return oserror() end
		return fd, true, true
	elseif type(file) == 'number' then
		return file, false, false
	elseif io.type(file) == 'file' then
		local fp = ffi.cast('FILE*', file) -- LuaJIT's FFI converts an io file to its FILE*
		C.fflush(fp) -- "write buffers are flushed before mapping an already-opened file"
		return C.fileno(fp), false, false
	end
	error('file: filename, fd or FILE* expected, got '..type(file), 4)
end

local function fd_size(fd)
	local cur = C.lseek(fd, 0, SEEK_CUR)
	local size = C.lseek(fd, 0, SEEK_END)
	if cur >= 0 then C.lseek(fd, cur, SEEK_SET) end
	if size < 0 then return oserror() end
	return tonumber(size)
end

-- enlarge a file for real, so that a full disk is an error now, not a crash later
local function grow(fd, from, to)
	if C.ftruncate(fd, to) ~= 0 then return oserror() end
	local err = C.posix_fallocate(fd, from, to - from)
	if err ~= 0 then
		C.ftruncate(fd, from)
		if err == ENOSPC then return nil, 'disk full', 'disk_full' end
		return oserror(err)
	end
	return true
end

local map_mt = {}
map_mt.__index = map_mt

function map_mt:free()
	if self._freed then return end
	self._freed = true
	C.munmap(self.addr, self.size)
	if self._own_fd then C.close(self._fd) end
end

function map_mt:flush(async, addr, size)
	if type(async) ~= 'boolean' then async, addr, size = false, async, addr end
	addr = addr or self.addr
	size = size or self.size
	local ps = mmap.pagesize()
	local a = uptr(addr)
	local left = a - a % ps
	local len = tonumber(a - left) + size -- keep the whole requested range
	if C.msync(ffi.cast('void*', left), len, async and MS_ASYNC or MS_SYNC) ~= 0 then
		return oserror()
	end
	return true
end

function map_mt:unlink()
	if not self.tagname then error('unlink: this map has no tagname', 2) end
	return mmap.unlink(self.tagname)
end

local function check_tagname(name)
	if type(name) ~= 'string' or name == '' or name:find'[/\\]' then
		error('tagname: a non-empty string without slashes or backslashes expected', 3)
	end
end

function mmap.unlink(name)
	check_tagname(name)
	if C.unlink(SHM_DIR..name) ~= 0 then return oserror() end
end

local function args(t, ...)
	if type(t) == 'table' then return t.file, t.access, t.size, t.offset, t.addr, t.tagname end
	return t, ...
end

function mmap.map(...)
	local file, access, size, offset, addr, tagname = args(...)
	access = access or ''
	if not ACCESS[access] then error("access: '', w, c, x, wx or cx expected", 2) end
	if size ~= nil and not (type(size) == 'number' and size > 0) then
		error('size: must be > 0', 2)
	end
	if offset ~= nil and not (type(offset) == 'number' and offset >= 0) then
		error('offset: must be >= 0', 2)
	end
	-- type(), because LuaJIT's NULL pointer == nil, and NULL is the zero address
	if type(addr) ~= 'nil' and uptr(addr) == 0 then error('addr: must not be zero', 2) end
	if tagname ~= nil then
		if file ~= nil then error('tagname: cannot be used with file', 2) end
		check_tagname(tagname)
	end
	local write = access:find'w' ~= nil
	local anonymous = file == nil and tagname == nil
	if anonymous then
		if not size then error('size expected when mapping the pagefile', 2) end
		offset = 0 -- "ignored when mapping the pagefile"
	else
		offset = offset or 0
		if offset % mmap.pagesize() ~= 0 then error('offset: must be page-aligned', 2) end
	end

	if not anonymous then
		local path = tagname and SHM_DIR..tagname or file
		local fd, own, created = open_file(path, write, write)
		if not fd then return nil, own, created end -- open_file's nil, err, errcode
		local err, code
		local function fail(e, c)
			if own then C.close(fd) end
			if created then C.unlink(path) end
			return nil, e, c
		end
		local fsize
		fsize, err, code = fd_size(fd)
		if not fsize then return fail(err, code) end
		if not size then
			size = fsize - offset
			if size <= 0 then return fail('file too short', 'file_too_short') end
		end
		if fsize < offset + size then
			if not write then return fail('file too short', 'file_too_short') end
			local ok
			ok, err, code = grow(fd, fsize, offset + size)
			if not ok then return fail(err, code) end
		end
		local prot = bit.bor(PROT_READ, (write or access:find'c') and PROT_WRITE or 0,
			access:find'x' and PROT_EXEC or 0)
		local flags = bit.bor(access:find'c' and MAP_PRIVATE or MAP_SHARED,
			addr and MAP_FIXED_NOREPLACE or 0)
		local p = C.mmap(addr and ffi.cast('void*', addr), size, prot, flags, fd, offset)
		if p == MAP_FAILED then
			local errno = ffi.errno()
			if errno == ENOMEM or errno == EEXIST then return fail('out of memory', 'out_of_mem') end
			return fail(select(2, oserror(errno)))
		end
		return setmetatable({addr = p, size = size, tagname = tagname, _fd = fd,
			_own_fd = own}, map_mt)
	end
	local prot = bit.bor(PROT_READ, (write or access:find'c') and PROT_WRITE or 0,
		access:find'x' and PROT_EXEC or 0)
	local flags = bit.bor(MAP_ANONYMOUS, access:find'c' and MAP_PRIVATE or MAP_SHARED,
		addr and MAP_FIXED_NOREPLACE or 0)
	local p = C.mmap(addr and ffi.cast('void*', addr), size, prot, flags, -1, 0)
	if p == MAP_FAILED then
		local errno = ffi.errno()
		if errno == ENOMEM or errno == EEXIST then return nil, 'out of memory', 'out_of_mem' end
		return oserror(errno)
	end
	return setmetatable({addr = p, size = size}, map_mt)
end

local mirror_mt = {}
mirror_mt.__index = mirror_mt

function mirror_mt:free()
	for i = 1, #self do self[i]:free() end
	if self._own_fd then C.close(self._fd); self._own_fd = false end
end

function mmap.mirror(t, ...)
	local file, size, times, addr
	if type(t) == 'table' then file, size, times, addr = t.file, t.size, t.times, t.addr
	else file, size, times, addr = t, ... end
	if file == nil then error('file: the file to map: required', 2) end
	if not (type(size) == 'number' and size > 0) then error('size: must be > 0', 2) end
	times = times or 2
	if type(times) ~= 'number' or times < 1 or times % 1 ~= 0 then
		error('times: an integer >= 1 expected', 2)
	end
	size = mmap.aligned_size(size)
	local fd, own, code = open_file(file, true, true)
	if not fd then return nil, own, code end -- open_file's nil, err, errcode
	local fsize = fd_size(fd)
	if fsize and fsize < size then
		local ok, err, code = grow(fd, fsize, size)
		if not ok then
			if own then C.close(fd) end
			return nil, err, code
		end
	end
	-- reserve the whole span, then map every copy of the file over it
	local base = C.mmap(addr and ffi.cast('void*', addr), size * times, 0,
		bit.bor(MAP_PRIVATE, MAP_ANONYMOUS, addr and MAP_FIXED_NOREPLACE or 0), -1, 0)
	if base == MAP_FAILED then
		if own then C.close(fd) end
		return nil, 'out of memory', 'out_of_mem'
	end
	local m = setmetatable({addr = base, size = size, _fd = fd, _own_fd = own}, mirror_mt)
	for i = 1, times do
		local at = ffi.cast('char*', base) + (i - 1) * size
		local p = C.mmap(at, size, bit.bor(PROT_READ, PROT_WRITE), bit.bor(MAP_SHARED, MAP_FIXED), fd, 0)
		if p == MAP_FAILED then
			local _, err, errno = oserror()
			C.munmap(base, size * times)
			if own then C.close(fd) end
			return nil, err, errno
		end
		m[i] = setmetatable({addr = p, size = size, _fd = fd, _own_fd = false}, map_mt)
	end
	return m
end

function mmap.filesize(file, size)
	if size == nil then
		if type(file) == 'string' then
			local fd = C.open(file, O_RDONLY)
			if fd < 0 then
				if ffi.errno() == ENOENT then return nil, 'file not found', 'not_found' end
				return oserror()
			end
			local s, err, code = fd_size(fd)
			C.close(fd)
			return s, err, code
		end
		local fd = open_file(file, false, false)
		return fd_size(fd)
	end
	local fd, own, errcode = open_file(file, true, true)
	if not fd then return nil, own, errcode end -- open_file's nil, err, errcode
	local cur, err, code = fd_size(fd)
	local ok = cur ~= nil
	if ok then
		if size > cur then ok, err, code = grow(fd, cur, size)
		elseif C.ftruncate(fd, size) ~= 0 then ok, err, code = oserror() end
	end
	if own then C.close(fd) end
	if not ok then return nil, err, code end
	return size
end

return mmap
