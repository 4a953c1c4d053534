-- generated from adapters/operations.py by protocol_docs.py: do not edit
return {
	{name = 'pagesize', result = 'int', args = {}},
	{name = 'aligned_size', result = 'int', args = {{key = 'size', wire = 'int'}, {key = 'dir', wire = 'str', optional = true}}},
	{name = 'aligned_addr', result = 'addr', args = {{key = 'addr', wire = 'addr'}, {key = 'dir', wire = 'str', optional = true}}},
	{name = 'map', result = 'mapinfo', args = {{key = 'file', wire = 'file', optional = true}, {key = 'access', wire = 'str', optional = true}, {key = 'size', wire = 'int', optional = true}, {key = 'offset', wire = 'int', optional = true}, {key = 'addr', wire = 'addr', optional = true}, {key = 'tagname', wire = 'str', optional = true}, {key = 'form', wire = 'form', default = 'table'}}},
	{name = 'flush', result = 'success', args = {{key = 'handle', wire = 'handle'}, {key = 'async', wire = 'bool', optional = true}, {key = 'addr', wire = 'addr', optional = true}, {key = 'size', wire = 'int', optional = true}}},
	{name = 'free', result = 'null', args = {{key = 'handle', wire = 'handle'}}},
	{name = 'unlink_map', result = 'null', args = {{key = 'handle', wire = 'handle'}}},
	{name = 'unlink', result = 'null', args = {{key = 'tagname', wire = 'str'}}},
	{name = 'mirror', result = 'mirrorinfo', args = {{key = 'file', wire = 'file', optional = true}, {key = 'size', wire = 'int', optional = true}, {key = 'times', wire = 'int', optional = true}, {key = 'addr', wire = 'addr', optional = true}, {key = 'form', wire = 'form', default = 'table'}}},
	{name = 'filesize', result = 'int', args = {{key = 'file', wire = 'file'}, {key = 'size', wire = 'int', optional = true}}},
	{name = 'read', result = 'base64', args = {{key = 'handle', wire = 'handle'}, {key = 'offset', wire = 'int'}, {key = 'length', wire = 'int'}}},
	{name = 'write', result = 'null', args = {{key = 'handle', wire = 'handle'}, {key = 'offset', wire = 'int'}, {key = 'data', wire = 'bytes'}}},
}
