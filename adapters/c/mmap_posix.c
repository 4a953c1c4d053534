/* A minimal C binding of the luapower mmap API for Linux: see mmap_posix.h.

The readings are the reference's (mmapspec.reference): files are opened without
blocking and only regular files and block devices are mapped; a map with write
access creates a missing file and extends a short one, reserving its blocks (a full
disk is 'disk_full' now, not SIGBUS later); a failing call leaves no file it created
and never changes the size of one it did not: whatever can fail is checked before the
file grows (the file's range past its end is mapped first, then the file is grown,
reserving before extending), since truncating back would cut off what another writer
appended meanwhile; a requested address never replaces a mapping
(MAP_FIXED_NOREPLACE); tagged shared memory is created 0600 and an existing object
is used only if it is this user's and grants nothing to others; a mirror maps its
file over the whole range first, then each copy inside that range.
*/
#define _GNU_SOURCE
#include "mmap_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define OFF_MAX INT64_MAX
#define TAGNAME_MAX 253 /* glibc's shm_open: the name and its NUL within NAME_MAX */

enum step { OPEN, OPEN_FILESIZE, RESERVE, MAP };

static void *fail(mm_error *err, enum mm_outcome how, const char *errcode, int errnum,
	const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	err->outcome = how, err->errcode = errcode, err->errnum = errnum;
	return NULL;
}
#define RAISE(err, ...) fail(err, MM_RAISED, NULL, 0, __VA_ARGS__)

/* the documented errcode an OS error stands for at a step, else NULL (the number) */
static const char *errcode_for(int e, enum step step)
{
	if (step == MAP) return (e == ENOMEM || e == EEXIST) ? "out_of_mem" : NULL;
	if (e == ENOSPC || e == EDQUOT || e == EFBIG) return "disk_full";
	if (e == ENOENT) return step == OPEN ? "no_file" : step == OPEN_FILESIZE ? "not_found" : NULL;
	return NULL;
}

static void *os_fail(mm_error *err, int e, enum step step, const char *what)
{
	return fail(err, MM_ERRCODE, errcode_for(e, step), e, "%s: %s", what, strerror(e));
}

int64_t mm_pagesize(void) { return sysconf(_SC_PAGESIZE); }

static int64_t align(const char *name, uint64_t n, const char *dir, mm_error *err)
{
	uint64_t p = (uint64_t)mm_pagesize();
	err->outcome = MM_OK;
	if ((int64_t)n < 0) return RAISE(err, "%s must be >= 0, got %lld", name, (long long)n), -1;
	if (dir == NULL || strcmp(dir, "right") == 0) return (int64_t)((n + p - 1) / p * p);
	if (strcmp(dir, "left") == 0) return (int64_t)(n / p * p);
	return RAISE(err, "dir must be 'left' or 'right', got '%s'", dir), -1;
}

int64_t mm_aligned_size(int64_t size, const char *dir, mm_error *err)
{
	return align("size", (uint64_t)size, dir, err);
}

void *mm_aligned_addr(void *addr, const char *dir, mm_error *err)
{
	return (void *)(uintptr_t)align("addr", (uintptr_t)addr, dir, err);
}

/* -- files ------------------------------------------------------------------------- */

typedef struct {
	int fd, owned, created;
	const char *path, *tag;
	int64_t size; /* -1 until known */
} opened;

static void discard(opened *o) /* after a failure: close ours, remove what we created */
{
	if (o->owned) close(o->fd);
	if (o->created && o->tag) { char n[TAGNAME_MAX + 2]; snprintf(n, sizeof n, "/%s", o->tag); shm_unlink(n); }
	else if (o->created && o->path) unlink(o->path);
}

/* regular files and block devices only; a FIFO was opened without waiting */
static int check_kind(opened *o, int filesize, mm_error *err)
{
	struct stat st;
	if (fstat(o->fd, &st) != 0) return os_fail(err, errno, OPEN, "cannot stat the file"), -1;
	if (S_ISREG(st.st_mode)) { o->size = st.st_size; return 0; }
	if (S_ISBLK(st.st_mode)) {
		off_t here = lseek(o->fd, 0, SEEK_CUR), end = lseek(o->fd, 0, SEEK_END);
		lseek(o->fd, here, SEEK_SET);
		o->size = end;
		return 0;
	}
	int e = S_ISDIR(st.st_mode) ? EISDIR : !filesize ? ENODEV
		: (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) ? ESPIPE : EINVAL;
	fail(err, MM_ERRCODE, NULL, e, "%s: only regular files and block devices can be %s: %s",
		o->path ? o->path : "the file", filesize ? "sized" : "mapped", strerror(e));
	return -1;
}

static int open_file(mm_file f, int write, enum step step, int filesize, opened *o,
	mm_error *err)
{
	*o = (opened){.fd = -1, .size = -1};
	if (f.kind == MM_FD) {
		if (f.fd < 0) return RAISE(err, "file descriptor must be >= 0, got %d", f.fd), -1;
		o->fd = f.fd;
	} else if (f.kind == MM_FILEOBJ) {
		if (fflush(f.fp) != 0) return os_fail(err, errno, RESERVE, "flushing the FILE*"), -1;
		o->fd = fileno(f.fp);
	} else {
		int base = O_CLOEXEC | O_NONBLOCK | (write ? O_RDWR : O_RDONLY);
		o->path = f.name, o->owned = 1;
		o->fd = open(f.name, base);
		if (o->fd < 0 && write && errno == ENOENT) {
			o->fd = open(f.name, base | O_CREAT | O_EXCL, 0666);
			if (o->fd >= 0) o->created = 1;
			else if (errno == EEXIST) o->fd = open(f.name, base); /* created meanwhile */
		}
		if (o->fd < 0) return os_fail(err, errno, step, f.name), -1;
	}
	if (check_kind(o, filesize, err) != 0) { discard(o); return -1; }
	return 0;
}

static const char *check_tagname(const char *t, mm_error *err)
{
	if (!*t) return RAISE(err, "tagname must not be empty");
	if (strchr(t, '/') || strchr(t, '\\')) return RAISE(err, "tagname must not contain '/' or '\\'");
	if (!strcmp(t, ".") || !strcmp(t, "..")) return RAISE(err, "tagname must not be '%s'", t);
	if (strlen(t) > TAGNAME_MAX) return RAISE(err, "tagname must be at most %d bytes", TAGNAME_MAX);
	return t;
}

static int open_tag(const char *tag, int write, opened *o, mm_error *err)
{
	char name[TAGNAME_MAX + 2];
	snprintf(name, sizeof name, "/%s", tag);
	int base = O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (write ? O_RDWR : O_RDONLY);
	*o = (opened){.owned = 1, .tag = tag, .size = -1};
	o->fd = shm_open(name, base, 0);
	if (o->fd < 0 && write && errno == ENOENT) {
		o->fd = shm_open(name, base | O_CREAT | O_EXCL, 0600); /* owner-only */
		if (o->fd >= 0) o->created = 1;
		else if (errno == EEXIST) o->fd = shm_open(name, base, 0);
	}
	if (o->fd < 0) return os_fail(err, errno, OPEN, "cannot open the shared memory"), -1;
	if (check_kind(o, 0, err) != 0) { discard(o); return -1; }
	struct stat st;
	if (!o->created && fstat(o->fd, &st) == 0 && (st.st_uid != geteuid() || st.st_mode & 077)) {
		discard(o);
		fail(err, MM_ERRCODE, NULL, EACCES, "refusing the shared memory '%s' of uid %d, mode "
			"%04o: only this user's objects that no one else can open are used", tag,
			(int)st.st_uid, (int)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* 'disk_full' before anything happens when no file can be end bytes long (-1: off_t overflows) */
static int check_growable(int64_t end, mm_error *err)
{
	if (end >= 0 && end <= OFF_MAX) return 0;
	fail(err, MM_ERRCODE, "disk_full", 0, "cannot extend the file beyond the largest size");
	return -1;
}

/* extend to end, reserving the blocks from start: a full disk fails here. A failure
leaves the size as it was: the blocks are reserved first (FALLOC_FL_KEEP_SIZE; mode 0
alone may leave ext4's file half grown), then mode 0 moves the end of file over them,
which only ever extends (a writer that made the file longer meanwhile keeps its bytes) */
static int grow(opened *o, int64_t start, int64_t end, mm_error *err)
{
	static const int MODES[] = {FALLOC_FL_KEEP_SIZE, 0};
	if (check_growable(end, err) != 0) return -1;
	for (int i = 0; i < 2; i++)
		while (fallocate(o->fd, MODES[i], start, end - start) != 0) {
			struct stat st;
			if (errno == EINTR) continue;
			if (errno != EOPNOTSUPP && errno != EINVAL) /* a full disk, say: the size is unchanged */
				return os_fail(err, errno, RESERVE, "cannot extend the file"), -1;
			/* a file system without reservation: a plain resize, never a shrink */
			if (fstat(o->fd, &st) != 0) return os_fail(err, errno, RESERVE, "cannot stat the file"), -1;
			if (st.st_size < end && ftruncate(o->fd, end) != 0)
				return os_fail(err, errno, RESERVE, "cannot extend the file"), -1;
			return 0;
		}
	return 0;
}

/* -- maps --------------------------------------------------------------------------- */

static void *map_at(void *addr, int addr_given, size_t size, int prot, int flags, int fd,
	int64_t offset)
{
	if (!addr_given) return mmap(NULL, size, prot, flags, fd, offset);
	void *got = mmap(addr, size, prot, flags | MAP_FIXED_NOREPLACE, fd, offset);
	if (got != MAP_FAILED && got != addr) { munmap(got, size); errno = EEXIST; return MAP_FAILED; }
	return got;
}

static const char *ACCESS[] = {"", "w", "c", "x", "wx", "cx"};
static const int PROT[] = {PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
	PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC};

static mm_map *new_map(void *addr, int64_t size, const char *tag)
{
	mm_map *m = calloc(1, sizeof *m);
	m->addr = addr, m->size = size, m->tagname = tag ? strdup(tag) : NULL;
	return m;
}

static mm_map *map_opened(opened *o, int write, int a, mm_int size, int64_t offset, void *addr,
	int addr_given, mm_error *err)
{
	int64_t fsize = o->size;
	if (!size.given) {
		size.v = fsize - offset;
		if (size.v <= 0) {
			discard(o);
			return fail(err, MM_ERRCODE, "file_too_short", 0, "the file has %lld bytes, "
				"not more than offset %lld", (long long)fsize, (long long)offset);
		}
	}
	int64_t end = (uint64_t)offset + (uint64_t)size.v > (uint64_t)OFF_MAX ? -1 : offset + size.v;
	int grown = end < 0 || fsize < end;
	if (grown && !write) {
		discard(o);
		return fail(err, MM_ERRCODE, "file_too_short", 0, "the file has %lld bytes, %lld + %lld "
			"needed", (long long)fsize, (long long)offset, (long long)size.v);
	}
	if (grown && check_growable(end, err) != 0) { discard(o); return NULL; }
	/* mapped first, past the end of a short file (nobody touches those pages before it
	grows): the address is ours or the map fails, and the file is still as it was */
	int flags = (a == 2 || a == 5) ? MAP_PRIVATE : MAP_SHARED;
	void *p = map_at(addr, addr_given, size.v, PROT[a], flags, o->fd, offset);
	if (p == MAP_FAILED) {
		int e = errno;
		discard(o);
		return os_fail(err, e, MAP, "cannot map the file");
	}
	if (grown && grow(o, offset > fsize ? offset : fsize, end, err) != 0) {
		munmap(p, size.v);
		discard(o);
		return NULL;
	}
	if (o->owned) close(o->fd); /* a mapping outlives its descriptor */
	return new_map(p, size.v, o->tag);
}

mm_map *mm_map_new(mm_file file, const char *access, mm_int size, mm_int offset, void *addr,
	int addr_given, const char *tagname, mm_error *err)
{
	int a = 0;
	err->outcome = MM_OK;
	if (access) {
		while (a < 6 && strcmp(access, ACCESS[a]) != 0) a++;
		if (a == 6) return RAISE(err, "access must be one of '', 'w', 'c', 'x', 'wx', 'cx', got '%s'", access);
	}
	if (size.given && size.v <= 0) return RAISE(err, "size must be > 0, got %lld", (long long)size.v);
	if (addr_given && addr == NULL) return RAISE(err, "addr must not be zero");
	if (addr_given && (uintptr_t)addr % mm_pagesize())
		return RAISE(err, "addr must be aligned to the page size (%lld)", (long long)mm_pagesize());
	if (tagname && file.kind != MM_NO_FILE) return RAISE(err, "file and tagname cannot be used together");
	if (tagname && !check_tagname(tagname, err)) return NULL;
	if (!tagname && file.kind == MM_NO_FILE && !size.given)
		return RAISE(err, "size expected when mapping the pagefile");
	if (!tagname && file.kind == MM_NO_FILE) { /* the pagefile: the offset is ignored */
		void *p = map_at(addr, addr_given, size.v, PROT[a], MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) return os_fail(err, errno, MAP, "cannot map the pagefile");
		return new_map(p, size.v, NULL);
	}
	if (offset.given && offset.v < 0) return RAISE(err, "offset must be >= 0, got %lld", (long long)offset.v);
	if (offset.given && offset.v % mm_pagesize())
		return RAISE(err, "offset must be aligned to the page size (%lld)", (long long)mm_pagesize());
	int write = a == 1 || a == 4;
	opened o;
	if ((tagname ? open_tag(tagname, write, &o, err) : open_file(file, write, OPEN, 0, &o, err)) != 0)
		return NULL;
	return map_opened(&o, write, a, size, offset.given ? offset.v : 0, addr, addr_given, err);
}

int mm_flush(mm_map *m, int async_given, int async, void *addr, int addr_given, mm_int size,
	mm_error *err)
{
	uintptr_t lo = (uintptr_t)m->addr, hi = lo + m->size, start = lo, len = m->size;
	err->outcome = MM_OK;
	if (addr_given || size.given) {
		if (!addr_given || !size.given) return RAISE(err, "flush(): addr and size must be given together"), 0;
		uintptr_t a = (uintptr_t)addr;
		if (size.v < 0) return RAISE(err, "size must be >= 0, got %lld", (long long)size.v), 0;
		if (a < lo || a > hi) return RAISE(err, "addr must be within the map"), 0;
		if ((uint64_t)size.v > hi - a) return RAISE(err, "addr + size must not pass the end of the map"), 0;
		start = a - a % mm_pagesize(), len = a + size.v - start;
	}
	if (msync((void *)start, len, async_given && async ? MS_ASYNC : MS_SYNC) != 0)
		return os_fail(err, errno, MAP, "msync"), 0;
	return 1;
}

void mm_free(mm_map *m)
{
	if (m->freed) return;
	m->freed = 1;
	munmap(m->addr, m->mirror ? m->mirror->size : m->size);
}

int mm_unlink(const char *tagname, mm_error *err)
{
	char name[TAGNAME_MAX + 2];
	err->outcome = MM_OK;
	if (!check_tagname(tagname, err)) return 0;
	snprintf(name, sizeof name, "/%s", tagname);
	if (shm_unlink(name) != 0 && errno != ENOENT) return os_fail(err, errno, OPEN, "shm_unlink"), 0;
	return 1;
}

int mm_map_unlink(mm_map *m, mm_error *err)
{
	if (!m->tagname) return RAISE(err, "map has no tagname: unlink() concerns shared memory only"), 0;
	return mm_unlink(m->tagname, err);
}

/* -- mirrors ------------------------------------------------------------------------ */

mm_mirror *mm_mirror_new(mm_file file, mm_int size, mm_int times, void *addr, int addr_given,
	mm_error *err)
{
	int64_t page = mm_pagesize();
	err->outcome = MM_OK;
	if (file.kind == MM_NO_FILE) return RAISE(err, "file: the file to map: required");
	if (!size.given) return RAISE(err, "size: the size of the memory segment: required");
	if (size.v <= 0) return RAISE(err, "size must be > 0, got %lld", (long long)size.v);
	if (times.given && times.v < 1) return RAISE(err, "times must be >= 1, got %lld", (long long)times.v);
	if (addr_given && (addr == NULL || (uintptr_t)addr % page))
		return RAISE(err, "addr must be nonzero and aligned to the page size");
	int64_t seg = size.v > INT64_MAX - page ? -1 : (size.v + page - 1) / page * page;
	int64_t n = times.given ? times.v : 2;
	if (seg < 0 || seg > INT64_MAX / n)
		return fail(err, MM_ERRCODE, "out_of_mem", 0, "mirror: %lld copies exceed the address space", (long long)n);
	opened o;
	if (open_file(file, 1, OPEN, 0, &o, err) != 0) return NULL;
	int64_t fsize = o.size;
	int prot = PROT_READ | PROT_WRITE;
	char *base = map_at(addr, addr_given, seg * n, prot, MAP_SHARED, o.fd, 0);
	for (int64_t i = 1; base != MAP_FAILED && i < n; i++) /* each copy over our own range */
		if (mmap(base + i * seg, seg, prot, MAP_SHARED | MAP_FIXED, o.fd, 0) == MAP_FAILED) {
			int e = errno;
			munmap(base, seg * n);
			base = MAP_FAILED, errno = e;
		}
	if (base == MAP_FAILED) {
		int e = errno;
		discard(&o);
		return os_fail(err, e, MAP, "mirror: cannot map the file");
	}
	if (fsize < seg && grow(&o, 0, seg, err) != 0) { /* every copy is mapped: now grow */
		munmap(base, seg * n);
		discard(&o);
		return NULL;
	}
	if (o.owned) close(o.fd);
	mm_mirror *mi = calloc(1, sizeof *mi);
	mi->addr = base, mi->size = seg, mi->times = n, mi->maps = calloc(n, sizeof *mi->maps);
	for (int64_t i = 0; i < n; i++)
		mi->maps[i] = (mm_map){.addr = base + i * seg, .size = seg, .mirror = mi};
	return mi;
}

void mm_mirror_free(mm_mirror *mi)
{
	int whole = 1;
	if (mi->freed) return;
	mi->freed = 1;
	for (int64_t i = 0; i < mi->times; i++) whole &= !mi->maps[i].freed;
	if (whole) munmap(mi->addr, mi->size * mi->times); /* the copies are adjacent: one call */
	else for (int64_t i = 0; i < mi->times; i++) mm_free(&mi->maps[i]);
	for (int64_t i = 0; i < mi->times; i++) mi->maps[i].freed = 1;
}

/* -- filesize ----------------------------------------------------------------------- */

int64_t mm_filesize(mm_file file, mm_int size, mm_error *err)
{
	opened o;
	err->outcome = MM_OK;
	if (file.kind == MM_NO_FILE) return RAISE(err, "file: the file to query or resize is required"), -1;
	if (!size.given) {
		if (open_file(file, 0, OPEN_FILESIZE, 1, &o, err) != 0) return -1;
		if (o.owned) close(o.fd);
		return o.size;
	}
	if (size.v < 0) return RAISE(err, "size must be >= 0, got %lld", (long long)size.v), -1;
	if (open_file(file, 1, RESERVE, 1, &o, err) != 0) return -1;
	if (size.v > o.size && grow(&o, o.size, size.v, err) != 0) { discard(&o); return -1; }
	if (size.v < o.size && ftruncate(o.fd, size.v) != 0) {
		int e = errno;
		discard(&o);
		return os_fail(err, e, RESERVE, "ftruncate"), -1;
	}
	if (o.owned) close(o.fd);
	return size.v;
}
