--[[ The capabilities the LuaJIT harness (harness.lua) declares for a module.

	local capabilities = dofile(dir..'capabilities.lua')(codec)
	capabilities(mod) --> the `capabilities` of the answer to `start`

The whole documented API minus OS handles (Windows only), with integers as Lua
numbers (int_range 'f64'), narrowed by a table `mmapspec_capabilities` in the
module, or by the environment variable MMAPSPEC_CAPS holding a JSON object; either
replaces the fields it names (the protocol's `capabilities` fields).
]]

return function(codec)
local decode, array = codec.decode, codec.array

local function capabilities(mod)
	local caps = {
		file_kinds = {'name', 'fd', 'fileobj'}, -- OS handles are Windows-only
		access_modes = {'', 'w', 'c', 'x', 'wx', 'cx'},
		call_forms = {'table', 'positional'},
		anonymous = true, tagname = true, unlink = true, mirror = true,
		addr = true, addr_request = true, async_flush = true, range_flush = true,
		filesize = true, pagesize = true, alignment = true,
		int_range = 'f64', -- sizes are Lua numbers (doubles), as the doc's are: exact to 2^53
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

return capabilities
end
