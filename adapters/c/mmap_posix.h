/* A minimal C binding of the luapower mmap API (spec/mmap.md) for Linux.

It is the binding that adapters/c/harness.c serves over mmapspec's pipe protocol: a
model of what a C (or Rust, Zig, Go) binding looks like to the suite. Integers are
int64_t, so the harness declares int_range "i64". An argument that may be omitted
is an mm_int (given or not) or a NULL pointer, never a default filled in by the
caller. Every function reports how it ended in an mm_error: MM_OK, MM_ERRCODE (the
documented nil,err,errcode: a documented string, or an OS error number) or
MM_RAISED (the documented "an error is raised": a bad argument).
*/
#ifndef MMAP_POSIX_H
#define MMAP_POSIX_H

#include <stdint.h>
#include <stdio.h>

typedef struct { int given; int64_t v; } mm_int; /* an optional integer: given == 0 is nil */

enum mm_outcome { MM_OK, MM_ERRCODE, MM_RAISED };
typedef struct {
	enum mm_outcome outcome;
	const char *errcode; /* a documented errcode, or NULL: then errnum is the code */
	int errnum;
	char message[512];
} mm_error;

enum mm_file_kind { MM_NO_FILE, MM_NAME, MM_FD, MM_FILEOBJ };
typedef struct {
	enum mm_file_kind kind;
	const char *name; /* MM_NAME */
	int fd;           /* MM_FD */
	FILE *fp;         /* MM_FILEOBJ: its write buffer is flushed before mapping */
} mm_file;

typedef struct mm_mirror mm_mirror;
typedef struct {
	void *addr;
	int64_t size;
	char *tagname;     /* for map:unlink() */
	mm_mirror *mirror; /* the mirror this map is a copy of, or NULL */
	int freed;
} mm_map;

struct mm_mirror {
	void *addr;
	int64_t size; /* one copy, page-aligned */
	int64_t times;
	mm_map *maps; /* times copies */
	int freed;
};

int64_t mm_pagesize(void);
int64_t mm_aligned_size(int64_t size, const char *dir, mm_error *err);
void *mm_aligned_addr(void *addr, const char *dir, mm_error *err);
mm_map *mm_map_new(mm_file file, const char *access, mm_int size, mm_int offset, void *addr,
	int addr_given, const char *tagname, mm_error *err);
int mm_flush(mm_map *m, int async_given, int async, void *addr, int addr_given, mm_int size,
	mm_error *err);
/* mm_free and mm_mirror_free unmap; the structures stay the caller's to free once no
copy is used any more (a map: free(m->tagname), free(m); a mirror: free(mi->maps),
free(mi), which frees its copies too) */
void mm_free(mm_map *m);
int mm_map_unlink(mm_map *m, mm_error *err);
int mm_unlink(const char *tagname, mm_error *err);
mm_mirror *mm_mirror_new(mm_file file, mm_int size, mm_int times, void *addr, int addr_given,
	mm_error *err);
void mm_mirror_free(mm_mirror *mi);
int64_t mm_filesize(mm_file file, mm_int size, mm_error *err);

#endif
