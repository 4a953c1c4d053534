-- A broken binding for the crash-isolation tests: the demo binding, except that
-- mmap.aligned_addr dereferences NULL (a real SIGSEGV of the LuaJIT process).
local ffi = require'ffi'
local mmap = require'mmap'
local crashy = setmetatable({}, {__index = mmap})
function crashy.aligned_addr()
	return ffi.cast('volatile int*', 0)[0]
end
return crashy
