/* The C harness of mmapspec's pipe protocol (../PROTOCOL.md): serves the C binding in
mmap_posix.c to the conformance runner, one JSON object per line on stdin/stdout.

	cc -O2 -o harness harness.c mmap_posix.c -ljansson
	mmapspec run --pipe-cmd ./harness

A model for a harness in a compiled language: framing (a line in, a line out, stdout
kept for the protocol alone), JSON with libjansson, base64, the protocol's integers
(a number within +-(2^53-1), else decimal digits), optional arguments (a key left out
is an mm_int not given, or a NULL pointer), outcomes (value, errcode, raised,
harness_error), capabilities and the declared integer range ("i64": the binding takes
int64_t). The table of operations (operations.h, generated from
adapters/operations.py) drives it: each argument is decoded by its wire type, the
binding called by the operation's name (BINDING, below: the only place that knows the
binding), and the result encoded by its type.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmap_posix.h"
#include "operations.h"

#define SAFE_INT 9007199254740991LL

static int out; /* the protocol's stdout; fd 1 itself points at stderr */

/* -- values ------------------------------------------------------------------------- */

static json_t *int_json(int64_t v) /* a number within +-(2^53-1), else its digits */
{
	char s[24];
	if (v >= -SAFE_INT && v <= SAFE_INT) return json_integer(v);
	snprintf(s, sizeof s, "%lld", (long long)v);
	return json_string(s);
}

static json_t *addr_json(void *p)
{
	char s[24];
	uint64_t v = (uintptr_t)p;
	if (v <= (uint64_t)SAFE_INT) return json_integer((json_int_t)v);
	snprintf(s, sizeof s, "%llu", (unsigned long long)v);
	return json_string(s);
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static json_t *base64_json(const unsigned char *src, size_t len)
{
	char *s = malloc(4 * ((len + 2) / 3) + 1), *o = s;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t n = src[i] << 16 | (i + 1 < len ? src[i + 1] << 8 : 0) | (i + 2 < len ? src[i + 2] : 0);
		*o++ = B64[n >> 18], *o++ = B64[n >> 12 & 63];
		*o++ = i + 1 < len ? B64[n >> 6 & 63] : '=', *o++ = i + 2 < len ? B64[n & 63] : '=';
	}
	*o = 0;
	json_t *j = json_stringn_nocheck(s, (size_t)(o - s)); /* ASCII: nothing to check */
	free(s);
	return j;
}

static unsigned char *base64_decode(const char *s, size_t n, size_t *len)
{
	static signed char value[256];
	if (!value['B']) { /* the alphabet's values, once; '=' counts as 0 */
		memset(value, -1, sizeof value);
		for (int i = 0; i < 64; i++) value[(unsigned char)B64[i]] = (signed char)i;
		value['='] = 0;
	}
	unsigned char *buf = malloc(n / 4 * 3 + 1);
	size_t o = 0;
	if (n % 4) { free(buf); return NULL; }
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		for (int k = 0; k < 4; k++) {
			int c = value[(unsigned char)s[i + k]];
			if (c < 0) { free(buf); return NULL; }
			v = v << 6 | (uint32_t)c;
		}
		buf[o++] = v >> 16;
		if (s[i + 2] != '=') buf[o++] = v >> 8 & 255;
		if (s[i + 3] != '=') buf[o++] = v & 255;
	}
	*len = o;
	return buf;
}

/* -- outcomes --------------------------------------------------------------------- */

/* How a request ended when it did not end with a value: a ready response minus its id. */
static json_t *outcome(const char *how, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return json_pack("{s:s, s:s}", "outcome", how, "message", msg);
}

static json_t *from_error(mm_error *err)
{
	if (err->outcome == MM_RAISED) return outcome("raised", "%s", err->message);
	json_t *o = outcome("errcode", "%s", err->message);
	json_object_set_new(o, "errcode", err->errcode ? json_string(err->errcode) : json_integer(err->errnum));
	return o;
}

/* -- handles and the files opened for them --------------------------------------- */

enum kind { MAP, MIRROR, COPY };
typedef struct {
	enum kind kind;
	int live;
	mm_map *map;       /* MAP and COPY */
	mm_mirror *mirror; /* MIRROR, and a COPY's mirror */
	int fd;            /* what the harness opened for it, closed when it is freed */
	FILE *fp;
	int64_t copies;    /* MIRROR: its copies are the next handles */
} entry;

/* Handles are first..count, never reused; live[h - first] is handle h's entry. The freed
handles below the oldest live one are dropped when the table fills, so that map + free
cycles keep it small (a harness must not grow with every map). */
static entry *live;
static int64_t first = 1, count, size_live;

static int64_t new_handle(entry e)
{
	if (count - first + 1 == size_live) {
		int64_t dead = 0;
		while (dead < size_live && !live[dead].live) dead++;
		if (dead > 0) {
			memmove(live, live + dead, (size_t)(size_live - dead) * sizeof *live);
			first += dead;
		} else {
			live = realloc(live, (size_live = size_live * 2 + 16) * sizeof *live);
		}
	}
	e.live = 1;
	live[++count - first] = e;
	return count;
}

static entry *entry_of(int64_t h, json_t **why)
{
	if (h < first || h > count || !live[h - first].live) {
		*why = outcome("raised", "handle %lld: no such map or mirror (freed, or never issued)", (long long)h);
		return NULL;
	}
	return &live[h - first];
}

static void close_files(entry *e)
{
	if (e->fp) fclose(e->fp);
	else if (e->fd >= 0) close(e->fd);
	e->fp = NULL, e->fd = -1;
}

static void release(int64_t h) /* free a live handle's object and forget it */
{
	entry *e = &live[h - first];
	if (e->kind == MIRROR) {
		mm_mirror_free(e->mirror);
		for (int64_t i = 1; i <= e->copies; i++) live[h - first + i].live = 0;
		free(e->mirror->maps); /* its copies' handles are gone with it */
		free(e->mirror);
	} else {
		mm_free(e->map);
		if (e->kind == MAP) { free(e->map->tagname); free(e->map); }
	}
	close_files(e);
	e->live = 0;
}

/* -- decoding by wire type -------------------------------------------------------- */

typedef struct {
	int given;
	mm_int i;        /* W_INT */
	void *p;         /* W_ADDR */
	int64_t handle;  /* W_HANDLE */
	const char *s;   /* W_STR, W_FORM */
	int b;           /* W_BOOL */
	unsigned char *bytes; size_t len; /* W_BYTES */
	mm_file file;    /* W_FILE */
	int fd; FILE *fp; /* what was opened for the file */
} arg;

static int64_t digits(const char *s, int *ok)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	*ok = *s && !*end && !errno;
	return v;
}

static json_t *decode_int(const char *key, json_t *j, int64_t *v)
{
	int ok = 1;
	if (json_is_integer(j)) *v = json_integer_value(j);
	else if (json_is_string(j)) *v = digits(json_string_value(j), &ok);
	else return outcome("raised", "%s: must be an integer", key);
	if (!ok) return outcome("raised", "%s: %s does not fit in int64_t", key, json_string_value(j));
	return NULL;
}

static const int O_MODE[] = {O_RDONLY, O_RDWR, O_RDWR | O_CREAT | O_TRUNC};

static json_t *open_ref(json_t *ref, arg *a) /* a FileRef, opened in the kind asked for */
{
	const char *path = json_string_value(json_object_get(ref, "path"));
	const char *kind = json_string_value(json_object_get(ref, "kind"));
	const char *mode = json_string_value(json_object_get(ref, "mode"));
	int m = !mode ? -1 : !strcmp(mode, "r") ? 0 : !strcmp(mode, "r+") ? 1 : !strcmp(mode, "w+") ? 2 : -1;
	if (!path || !kind || m < 0) return outcome("harness_error", "a FileRef needs path, kind and mode");
	if (!strcmp(kind, "name")) { a->file = (mm_file){.kind = MM_NAME, .name = path}; return NULL; }
	if (!strcmp(kind, "fd")) {
		a->fd = open(path, O_MODE[m] | O_CLOEXEC, 0666);
		if (a->fd < 0) return outcome("harness_error", "cannot open %s (%s) as an fd: %s", path, mode, strerror(errno));
		a->file = (mm_file){.kind = MM_FD, .fd = a->fd};
		return NULL;
	}
	if (strcmp(kind, "fileobj") != 0) {
		char cap[64];
		snprintf(cap, sizeof cap, "file:%s", kind);
		return json_pack("{s:s, s:s}", "outcome", "unsupported", "capability", cap);
	}
	char how[4];
	snprintf(how, sizeof how, "%sb", mode);
	if (!(a->fp = fopen(path, how)))
		return outcome("harness_error", "cannot open %s (%s) as a FILE*: %s", path, mode, strerror(errno));
	json_t *pending = json_object_get(ref, "pending");
	if (pending && json_string_length(pending)) { /* written, and left in the buffer */
		size_t n;
		unsigned char *data = base64_decode(json_string_value(pending), json_string_length(pending), &n);
		if (!data) return outcome("harness_error", "pending: not base64");
		setvbuf(a->fp, NULL, _IOFBF, n + 4096);
		fwrite(data, 1, n, a->fp);
		free(data);
	}
	a->file = (mm_file){.kind = MM_FILEOBJ, .fp = a->fp};
	return NULL;
}

static json_t *decode_arg(const struct op_arg *spec, json_t *j, arg *a)
{
	const char *k = spec->key;
	a->given = 1;
	switch (spec->wire) {
	case W_INT: a->i.given = 1; return decode_int(k, j, &a->i.v);
	case W_HANDLE: return decode_int(k, j, &a->handle);
	case W_ADDR: {
		int64_t v;
		json_t *why = decode_int(k, j, &v);
		if (!why && v < 0) why = outcome("raised", "%s: %lld is not an address", k, (long long)v);
		a->p = (void *)(uintptr_t)v;
		return why;
	}
	case W_BOOL:
		if (!json_is_boolean(j)) return outcome("raised", "%s: must be true or false", k);
		a->b = json_is_true(j);
		return NULL;
	case W_STR: case W_FORM:
		if (!json_is_string(j)) return outcome("raised", "%s: must be a string", k);
		a->s = json_string_value(j);
		if (strlen(a->s) != json_string_length(j)) /* a C string ends at its first NUL */
			return outcome("raised", "%s: holds NUL, which a C string cannot carry", k);
		return NULL;
	case W_BYTES:
		a->bytes = json_is_string(j) ? base64_decode(json_string_value(j), json_string_length(j), &a->len) : NULL;
		return a->bytes ? NULL : outcome("harness_error", "%s: not base64", k);
	case W_FILE: return open_ref(j, a);
	}
	return outcome("harness_error", "%s: unknown wire type", k);
}

/* -- the binding calls: the only code that knows the binding ----------------------- */

typedef struct {
	int64_t i; void *p; int b;  /* R_INT, R_ADDR, R_SUCCESS */
	mm_map *map; mm_mirror *mirror;
	const unsigned char *bytes; size_t len; /* R_BASE64 */
} result;

/* A call sets *err (MM_OK, or how the binding failed) or returns a ready outcome. */
typedef json_t *(*call_fn)(arg *a, result *r, mm_error *err);

static json_t *a_map(arg *a, entry **e, int want_map) /* args[0]'s handle, as a map if asked */
{
	json_t *why = NULL;
	*e = entry_of(a->handle, &why);
	if (*e && want_map && (*e)->kind == MIRROR)
		why = outcome("raised", "handle %lld is a mirror: this takes a map's handle", (long long)a->handle);
	return why;
}

static json_t *span(arg *a, int64_t len, unsigned char **p) /* a range of a live map */
{
	entry *e;
	json_t *why = a_map(a, &e, 0);
	if (why) return why;
	int64_t off = a[1].i.v, size = e->kind == MIRROR ? e->mirror->size * e->mirror->times : e->map->size;
	for (int64_t i = 0; e->kind == MIRROR && i < e->mirror->times; i++)
		if (e->mirror->maps[i].freed)
			return outcome("raised", "handle %lld: its copy %lld was freed on its own, so the "
				"mirror's memory has a hole", (long long)a->handle, (long long)i + 1);
	if (off < 0 || len < 0 || off > size || len > size - off)
		return outcome("raised", "range %lld+%lld is outside the map's %lld bytes", (long long)off, (long long)len, (long long)size);
	*p = (unsigned char *)(e->kind == MIRROR ? e->mirror->addr : e->map->addr) + off;
	return NULL;
}

static json_t *c_pagesize(arg *a, result *r, mm_error *err) { r->i = mm_pagesize(); return NULL; }
static json_t *c_aligned_size(arg *a, result *r, mm_error *err) { r->i = mm_aligned_size(a[0].i.v, a[1].s, err); return NULL; }
static json_t *c_aligned_addr(arg *a, result *r, mm_error *err) { r->p = mm_aligned_addr(a[0].p, a[1].s, err); return NULL; }
static json_t *c_map(arg *a, result *r, mm_error *err)
{
	r->map = mm_map_new(a[0].file, a[1].s, a[2].i, a[3].i, a[4].p, a[4].given, a[5].s, err);
	return NULL;
}
static json_t *c_flush(arg *a, result *r, mm_error *err)
{
	entry *e;
	json_t *why = a_map(a, &e, 1);
	if (!why) r->b = mm_flush(e->map, a[1].given, a[1].b, a[2].p, a[2].given, a[3].i, err);
	return why;
}
static json_t *c_free(arg *a, result *r, mm_error *err)
{
	entry *e;
	json_t *why = a_map(a, &e, 0);
	if (!why) release(a->handle);
	return why;
}
static json_t *c_unlink_map(arg *a, result *r, mm_error *err)
{
	entry *e;
	json_t *why = a_map(a, &e, 1);
	if (!why) mm_map_unlink(e->map, err);
	return why;
}
static json_t *c_unlink(arg *a, result *r, mm_error *err) { mm_unlink(a[0].s, err); return NULL; }
static json_t *c_mirror(arg *a, result *r, mm_error *err)
{
	r->mirror = mm_mirror_new(a[0].file, a[1].i, a[2].i, a[3].p, a[3].given, err);
	return NULL;
}
static json_t *c_filesize(arg *a, result *r, mm_error *err) { r->i = mm_filesize(a[0].file, a[1].i, err); return NULL; }
static json_t *c_read(arg *a, result *r, mm_error *err)
{
	unsigned char *p;
	json_t *why = span(a, a[2].i.v, &p);
	if (!why) r->bytes = p, r->len = a[2].i.v;
	return why;
}
static json_t *c_write(arg *a, result *r, mm_error *err)
{
	unsigned char *p;
	json_t *why = span(a, a[2].len, &p);
	if (!why) memcpy(p, a[2].bytes, a[2].len); /* to a read-only map: the documented crash */
	return why;
}

static const struct { const char *name; call_fn call; } BINDING[] = {
	{"pagesize", c_pagesize}, {"aligned_size", c_aligned_size}, {"aligned_addr", c_aligned_addr},
	{"map", c_map}, {"flush", c_flush}, {"free", c_free}, {"unlink_map", c_unlink_map},
	{"unlink", c_unlink}, {"mirror", c_mirror}, {"filesize", c_filesize}, {"read", c_read},
	{"write", c_write},
};

/* -- one request of the table ------------------------------------------------------ */

static json_t *encode_result(const struct op_spec *op, result *r, arg *a)
{
	arg none = {.fd = -1}, *f = &none; /* the file argument: a new map keeps what was opened */
	for (int i = 0; i < op->nargs; i++)
		if (op->args[i].wire == W_FILE) f = &a[i];
	switch (op->result) {
	case R_INT: return int_json(r->i);
	case R_ADDR: return addr_json(r->p);
	case R_SUCCESS: return json_boolean(r->b);
	case R_NULL: return json_null();
	case R_BASE64: return base64_json(r->bytes, r->len);
	case R_MAPINFO: {
		int64_t h = new_handle((entry){.kind = MAP, .map = r->map, .fd = f->fd, .fp = f->fp});
		return json_pack("{s:I, s:o, s:o}", "handle", (json_int_t)h, "addr", addr_json(r->map->addr), "size", int_json(r->map->size));
	}
	case R_MIRRORINFO: {
		mm_mirror *mi = r->mirror;
		int64_t h = new_handle((entry){.kind = MIRROR, .mirror = mi, .fd = f->fd, .fp = f->fp, .copies = mi->times});
		json_t *maps = json_array();
		for (int64_t i = 0; i < mi->times; i++) {
			int64_t c = new_handle((entry){.kind = COPY, .map = &mi->maps[i], .mirror = mi, .fd = -1});
			json_array_append_new(maps, json_pack("{s:I, s:o, s:o}", "handle", (json_int_t)c,
				"addr", addr_json(mi->maps[i].addr), "size", int_json(mi->size)));
		}
		return json_pack("{s:I, s:o, s:o, s:o}", "handle", (json_int_t)h, "addr", addr_json(mi->addr),
			"size", int_json(mi->size), "maps", maps);
	}
	}
	return json_null();
}

static json_t *perform(const struct op_spec *op, json_t *args)
{
	arg a[OP_MAX_ARGS] = {0};
	json_t *why = NULL;
	result r = {0};
	mm_error err = {.outcome = MM_OK};
	for (int i = 0; i < OP_MAX_ARGS; i++) a[i].fd = -1;
	for (int i = 0; i < op->nargs && !why; i++) {
		json_t *j = json_object_get(args, op->args[i].key);
		if (j) why = decode_arg(&op->args[i], j, &a[i]);
		else if (!op->args[i].optional && !op->args[i].dflt)
			why = outcome("harness_error", "missing argument %s", op->args[i].key);
		else a[i].s = op->args[i].dflt;
	}
	for (size_t b = 0; !why && b < sizeof BINDING / sizeof *BINDING; b++)
		if (!strcmp(BINDING[b].name, op->name)) {
			why = BINDING[b].call(a, &r, &err);
			if (!why && err.outcome != MM_OK) why = from_error(&err);
			if (!why) why = json_pack("{s:s, s:o}", "outcome", "value", "value", encode_result(op, &r, a));
		}
	int kept = json_is_object(why) && json_object_get(why, "value") &&
		(op->result == R_MAPINFO || op->result == R_MIRRORINFO);
	for (int i = 0; i < op->nargs; i++) { /* what is not kept by a new map is closed now */
		free(a[i].bytes);
		if (!kept) close_files(&(entry){.fd = a[i].fd, .fp = a[i].fp});
	}
	return why ? why : outcome("harness_error", "no binding call for %s", op->name);
}

/* -- start, stop and the loop --------------------------------------------------------- */

static json_t *start(void)
{
	json_t *caps = json_pack("{s:[s,s,s], s:[s,s,s,s,s,s], s:[s,s], s:s}",
		"file_kinds", "name", "fd", "fileobj", "access_modes", "", "w", "c", "x", "wx", "cx",
		"call_forms", "table", "positional", "int_range", "i64");
	const char *flags[] = {"anonymous", "tagname", "unlink", "mirror", "addr", "addr_request",
		"async_flush", "range_flush", "filesize", "pagesize", "alignment"};
	for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) json_object_set_new(caps, flags[i], json_true());
	return json_pack("{s:i, s:{s:s, s:s, s:s, s:s}, s:o, s:i}", "protocol", 1, "implementation",
		"name", "c:mmap_posix", "version", "1", "language", "C", "harness", "adapters/c/harness.c (jansson)",
		"capabilities", caps, "pid", (int)getpid());
}

static void free_all(void)
{
	for (int64_t h = first; h <= count; h++)
		if (live[h - first].live && live[h - first].kind != COPY) release(h);
}

/* One line, in one write: the runner wakes up once. A base64 value needs no escaping,
so that response is written as it is (jansson would check each of its characters). */
static void send(json_t *response, int base64)
{
	json_t *v = json_object_get(response, "value"), *id = json_object_get(response, "id");
	char *s;
	size_t n;
	if (base64 && json_is_string(v)) {
		s = malloc(json_string_length(v) + 64);
		n = (size_t)sprintf(s, "{\"id\":%lld,\"outcome\":\"value\",\"value\":\"%s\"}",
			(long long)json_integer_value(id), json_string_value(v));
	} else {
		s = json_dumps(response, JSON_COMPACT | JSON_ENSURE_ASCII);
		n = strlen(s);
	}
	s = realloc(s, n + 1);
	s[n++] = '\n';
	for (char *p = s; n > 0;) {
		ssize_t w = write(out, p, n);
		if (w < 0 && errno != EINTR) exit(3); /* the runner is gone */
		if (w > 0) p += w, n -= (size_t)w;
	}
	free(s);
	json_decref(response);
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	out = dup(1); /* stdout for the protocol alone */
	dup2(2, 1);
	while (getline(&line, &cap, stdin) > 0) {
		json_error_t error;
		json_t *req = json_loads(line, JSON_ALLOW_NUL, &error), *resp;
		json_t *id = json_object_get(req, "id");
		const char *name = json_string_value(json_object_get(req, "op"));
		json_t *args = json_object_get(req, "args");
		const struct op_spec *op = NULL;
		for (int i = 0; name && i < OP_COUNT; i++)
			if (!strcmp(OPERATIONS[i].name, name)) op = &OPERATIONS[i];
		if (!req) resp = outcome("harness_error", "request is not JSON: %s", error.text);
		else if (name && !strcmp(name, "start")) resp = json_pack("{s:s, s:o}", "outcome", "value", "value", start());
		else if (name && !strcmp(name, "stop")) { free_all(); resp = json_pack("{s:s, s:n}", "outcome", "value", "value"); }
		else if (!op || !json_is_object(args)) resp = outcome("harness_error", "unknown op %s", name ? name : "(none)");
		else resp = perform(op, args);
		json_object_set_new(resp, "id", json_integer(json_is_integer(id) ? json_integer_value(id) : 0));
		int stop = name && !strcmp(name, "stop"); /* name is req's: read before it goes */
		send(resp, op && op->result == R_BASE64);
		json_decref(req);
		if (stop) break;
	}
	free_all(); /* stdin closed: the runner went away (after stop: nothing is left) */
	free(live);
	free(line);
	return 0;
}
