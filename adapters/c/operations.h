/* generated from adapters/operations.py by protocol_docs.py: do not edit */
#ifndef MMAPSPEC_OPERATIONS_H
#define MMAPSPEC_OPERATIONS_H
enum wire { W_INT, W_ADDR, W_HANDLE, W_FILE, W_BYTES, W_STR, W_BOOL, W_FORM };
enum result { R_INT, R_ADDR, R_NULL, R_MAPINFO, R_MIRRORINFO, R_BASE64, R_SUCCESS };
struct op_arg { const char *key; enum wire wire; int optional; const char *dflt; };
#define OP_MAX_ARGS 7
struct op_spec { const char *name; enum result result; int nargs; struct op_arg args[OP_MAX_ARGS]; };
static const struct op_spec OPERATIONS[] = {
	{"pagesize", R_INT, 0, {{0}}},
	{"aligned_size", R_INT, 2, {{"size", W_INT, 0, NULL}, {"dir", W_STR, 1, NULL}}},
	{"aligned_addr", R_ADDR, 2, {{"addr", W_ADDR, 0, NULL}, {"dir", W_STR, 1, NULL}}},
	{"map", R_MAPINFO, 7, {{"file", W_FILE, 1, NULL}, {"access", W_STR, 1, NULL}, {"size", W_INT, 1, NULL}, {"offset", W_INT, 1, NULL}, {"addr", W_ADDR, 1, NULL}, {"tagname", W_STR, 1, NULL}, {"form", W_FORM, 0, "table"}}},
	{"flush", R_SUCCESS, 4, {{"handle", W_HANDLE, 0, NULL}, {"async", W_BOOL, 1, NULL}, {"addr", W_ADDR, 1, NULL}, {"size", W_INT, 1, NULL}}},
	{"free", R_NULL, 1, {{"handle", W_HANDLE, 0, NULL}}},
	{"unlink_map", R_NULL, 1, {{"handle", W_HANDLE, 0, NULL}}},
	{"unlink", R_NULL, 1, {{"tagname", W_STR, 0, NULL}}},
	{"mirror", R_MIRRORINFO, 5, {{"file", W_FILE, 1, NULL}, {"size", W_INT, 1, NULL}, {"times", W_INT, 1, NULL}, {"addr", W_ADDR, 1, NULL}, {"form", W_FORM, 0, "table"}}},
	{"filesize", R_INT, 2, {{"file", W_FILE, 0, NULL}, {"size", W_INT, 1, NULL}}},
	{"read", R_BASE64, 3, {{"handle", W_HANDLE, 0, NULL}, {"offset", W_INT, 0, NULL}, {"length", W_INT, 0, NULL}}},
	{"write", R_NULL, 3, {{"handle", W_HANDLE, 0, NULL}, {"offset", W_INT, 0, NULL}, {"data", W_BYTES, 0, NULL}}},
};
#define OP_COUNT 12
#endif
