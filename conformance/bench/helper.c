/* The C floor for the benchmark: compiled by mmapspec.bench at run time with the
 * system C compiler (cc -O2 -shared -fPIC) into a temporary directory and loaded
 * with ctypes. Nothing here is part of the reference implementation.
 *
 * Two kinds of entry points:
 *  - *_loop functions run N operations inside C, so one ctypes call covers a
 *    whole batch and the figure is the kernel's cost plus a C loop ("timed in a
 *    C loop": the single ctypes call per batch is amortised to nothing);
 *  - mirror_create / mirror_free perform ONE operation per call, for the
 *    "called via ctypes" rows, which show the same technique with the per-call
 *    cost any Python caller pays.
 * Every function returns 0 (or an address) on success and -errno on failure,
 * so a broken floor is reported, never timed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* n times: mmap an anonymous block of `size` bytes with `prot`/`flags`, munmap it. */
long anon_loop(long n, size_t size, int prot, int flags)
{
    for (long i = 0; i < n; i++) {
        void *p = mmap(NULL, size, prot, flags, -1, 0);
        if (p == MAP_FAILED)
            return -errno;
        if (munmap(p, size) != 0)
            return -errno;
    }
    return 0;
}

/* The reserve-then-fixed technique: reserve size*times bytes of address space
 * with one PROT_NONE anonymous map, then map the file `times` times over it with
 * MAP_FIXED. Unlike "find a free hole, unmap it, map there" this cannot race with
 * another thread taking the hole. Opens `path` like a map by name does (creating
 * it, extending it to `size` when short) and closes it once mapped: the maps keep
 * the file alive. `size` must be a multiple of the page size.
 * Returns the address, or NULL with errno set. */
void *mirror_create(const char *path, size_t size, int times)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || ((size_t)st.st_size < size && ftruncate(fd, (off_t)size) != 0)) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    size_t span = size * (size_t)times;
    char *base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    for (int i = 0; i < times; i++) {
        void *p = mmap(base + (size_t)i * size, size, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_FIXED, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            munmap(base, span);
            close(fd);
            errno = e;
            return NULL;
        }
    }
    close(fd);
    return base;
}

/* Free what mirror_create made: the copies are adjacent, so one munmap. */
int mirror_free(void *addr, size_t size, int times)
{
    return munmap(addr, size * (size_t)times) == 0 ? 0 : -errno;
}

/* n times: mirror_create + mirror_free. The memory is not touched, as a
 * benchmarked create+free does not touch it either; the mirror property of this
 * technique is checked once, outside the timed loop, by the Python side. */
long mirror_loop(long n, const char *path, size_t size, int times)
{
    for (long i = 0; i < n; i++) {
        void *p = mirror_create(path, size, times);
        if (p == NULL)
            return -errno;
        int rc = mirror_free(p, size, times);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* n times: dirty one byte at addr+dirty (a write to a mapped file page), then msync
 * [addr, addr+size) with `flags` (MS_ASYNC: on Linux the call starts no I/O). */
long msync_loop(long n, void *addr, size_t size, int flags, size_t dirty)
{
    volatile unsigned char *p = (unsigned char *)addr + dirty;
    for (long i = 0; i < n; i++) {
        *p = (unsigned char)i;
        if (msync(addr, size, flags) != 0)
            return -errno;
    }
    return 0;
}
