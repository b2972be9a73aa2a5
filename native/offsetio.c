/*
 * offsetio: an LD_PRELOAD library that makes one path look like a device holding a byte range of
 * another file, so the ntfs-3g tools (mkntfs, wimlib-imagex's NTFS-3G mode, our ntfsfs helper) work
 * on an NTFS partition inside a raw disk image in place: no side image, no copy back, no root, no
 * loop device, no FUSE (issue 16 item 6; docs/lab.md "In place").
 *
 *   OSD_OFFSETIO_MAP="<virtual path>=<target file>:<offset>:<length>"
 *
 * An open() of exactly <virtual path> (the same string the tool was given; the caller makes it an
 * empty placeholder file, so a tool that runs without this library fails on an empty file instead of
 * writing somewhere else) opens <target file> instead, and every call on that descriptor is shifted
 * by <offset> and clamped to <length>, like a partition's block device:
 *   - pread/pwrite(64), read/write, lseek(64): positions are relative to the range; reads stop at its
 *     end (0 = end of file), a write that starts at or past its end fails with ENOSPC and one that
 *     crosses it is short; lseek outside [0, length] fails with EINVAL (as on a block device);
 *   - fstat(64): st_size is the length; ioctl BLKGETSIZE64 / BLKGETSIZE / BLKSSZGET answer the
 *     length, its 512-byte sectors and 512;
 *   - ftruncate(64) to the length succeeds without doing anything, to any other size fails (EINVAL);
 *   - fcntl record locks (F_SETLK, F_SETLKW, F_GETLK and the OFD ones) are moved into the range, so
 *     two tools on two partitions of one disk image do not exclude each other and two on the same
 *     partition still do; O_EXCL is dropped when opening the target (on a block device it would
 *     claim the whole disk).
 * The calls were chosen by tracing the tools (strace of mkntfs and wimlib-imagex apply into an image
 * file): libntfs-3g's unix_io uses open/__open_2 with O_RDWR|O_EXCL, fcntl F_SETLK on the whole file,
 * fstat, ioctl (BLKSSZGET, BLKBSZSET, BLKGETSIZE64, BLKGETSIZE, FDGETPRM), lseek+read/write (mkntfs),
 * pread/pwrite (the library's reads and writes), fsync and close. Other calls on the descriptor
 * (fsync, fdatasync, BLKBSZSET …) go to the target unchanged. readv/writev are not shifted (none
 * of these tools uses them) and fail with EINVAL on the descriptor, so a tool that starts to would
 * not silently touch the wrong bytes; none of them maps the device (mmap) either.
 *
 * A malformed OSD_OFFSETIO_MAP makes the open of the virtual path fail with EINVAL and prints why
 * on standard error once. Descriptors are tracked in a table under a mutex (wimlib may use threads).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FDS 4096

struct mapping {
  int parsed; /* 0 not yet, 1 ok, -1 malformed, -2 absent */
  char *virtual_path;
  char *target;
  off_t offset;
  off_t length;
};

static struct mapping map;
static pthread_once_t map_once = PTHREAD_ONCE_INIT;
/* mapped[fd] != 0: fd is the target opened for the virtual path. Reads of the table are racy-safe
 * (an int), writes happen on open/close/dup under the lock. */
static volatile unsigned char mapped[MAX_FDS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

#define REAL(name) real_##name
#define RESOLVE(name)                                                        \
  do {                                                                       \
    if (!REAL(name)) REAL(name) = (__typeof__(REAL(name)))dlsym(RTLD_NEXT, #name); \
  } while (0)

static int (*REAL(open))(const char *, int, ...);
static int (*REAL(open64))(const char *, int, ...);
static int (*REAL(openat))(int, const char *, int, ...);
static int (*REAL(openat64))(int, const char *, int, ...);
static int (*REAL(__open_2))(const char *, int);
static int (*REAL(__open64_2))(const char *, int);
static int (*REAL(__openat_2))(int, const char *, int);
static int (*REAL(__openat64_2))(int, const char *, int);
static int (*REAL(close))(int);
static ssize_t (*REAL(pread))(int, void *, size_t, off_t);
static ssize_t (*REAL(pwrite))(int, const void *, size_t, off_t);
static ssize_t (*REAL(read))(int, void *, size_t);
static ssize_t (*REAL(write))(int, const void *, size_t);
static off_t (*REAL(lseek))(int, off_t, int);
static int (*REAL(fstat))(int, struct stat *);
static int (*REAL(ioctl))(int, unsigned long, ...);
static int (*REAL(ftruncate))(int, off_t);
static int (*REAL(fcntl))(int, int, ...);
static int (*REAL(fcntl64))(int, int, ...);
static int (*REAL(dup))(int);
static int (*REAL(dup2))(int, int);
static int (*REAL(dup3))(int, int, int);

static int parse_number(const char *s, const char *end, off_t *out) {
  if (s == end) return -1;
  uint64_t v = 0;
  for (const char *p = s; p < end; p++) {
    if (*p < '0' || *p > '9') return -1;
    uint64_t next = v * 10 + (uint64_t)(*p - '0');
    if (next / 10 != v || next > (uint64_t)INT64_MAX) return -1;
    v = next;
  }
  *out = (off_t)v;
  return 0;
}

static void parse_map(void) {
  const char *env = getenv("OSD_OFFSETIO_MAP");
  if (!env || !*env) {
    map.parsed = -2;
    return;
  }
  map.parsed = -1;
  /* <virtual>=<target>:<offset>:<length>: the virtual path ends at the first '=', the two numbers
   * are the last two ':' fields (so the target may contain ':' and '='). */
  const char *eq = strchr(env, '=');
  const char *end = env + strlen(env);
  const char *c2 = NULL, *c1 = NULL;
  for (const char *p = end - 1; eq && p > eq; p--) {
    if (*p != ':') continue;
    if (!c2) c2 = p;
    else {
      c1 = p;
      break;
    }
  }
  off_t offset, length;
  if (!eq || eq == env || !c1 || c1 == eq + 1 || parse_number(c1 + 1, c2, &offset) || parse_number(c2 + 1, end, &length) || length <= 0 ||
      offset > INT64_MAX - length) {
    fprintf(stderr, "offsetio: OSD_OFFSETIO_MAP=%s is not <virtual path>=<file>:<offset>:<length> (whole numbers, length > 0)\n", env);
    return;
  }
  map.virtual_path = strndup(env, (size_t)(eq - env));
  map.target = strndup(eq + 1, (size_t)(c1 - eq - 1));
  map.offset = offset;
  map.length = length;
  if (map.virtual_path && map.target) map.parsed = 1;
}

static struct mapping *get_map(void) {
  pthread_once(&map_once, parse_map);
  return &map;
}

static int is_mapped(int fd) { return fd >= 0 && fd < MAX_FDS && mapped[fd]; }

static void set_mapped(int fd, int on) {
  if (fd < 0 || fd >= MAX_FDS) return;
  pthread_mutex_lock(&lock);
  mapped[fd] = (unsigned char)on;
  pthread_mutex_unlock(&lock);
}

/* The path is the virtual one: 1; not: 0; it is but the map is malformed: -1 (errno EINVAL). */
static int matches(int dirfd, const char *path) {
  if (!path || !getenv("OSD_OFFSETIO_MAP")) return 0;
  struct mapping *m = get_map();
  if (m->parsed == -2) return 0;
  if (m->parsed == -1) {
    /* Cannot tell which path was meant: refuse every open under a malformed map that could be it. */
    const char *env = getenv("OSD_OFFSETIO_MAP");
    const char *eq = strchr(env, '=');
    if (eq && strncmp(path, env, (size_t)(eq - env)) == 0 && path[eq - env] == '\0') {
      errno = EINVAL;
      return -1;
    }
    return 0;
  }
  (void)dirfd; /* the virtual path is compared as given (absolute paths are what the callers pass) */
  return strcmp(path, m->virtual_path) == 0;
}

static int open_target(int flags, mode_t mode) {
  struct mapping *m = get_map();
  RESOLVE(open);
  /* O_EXCL without O_CREAT claims a block device exclusively (the whole disk): the range is only a
   * part of it. O_CREAT/O_TRUNC would make or empty the target: never. */
  flags &= ~(O_EXCL | O_CREAT | O_TRUNC | O_APPEND);
  int fd = REAL(open)(m->target, flags, mode);
  if (fd < 0) return fd;
  if (fd >= MAX_FDS) {
    RESOLVE(close);
    REAL(close)(fd);
    errno = EMFILE;
    return -1;
  }
  set_mapped(fd, 1);
  /* Start at the beginning of the range, for read/write without a seek first. */
  RESOLVE(lseek);
  if (REAL(lseek)(fd, m->offset, SEEK_SET) < 0) {
    int e = errno;
    set_mapped(fd, 0);
    RESOLVE(close);
    REAL(close)(fd);
    errno = e;
    return -1;
  }
  return fd;
}

static mode_t mode_arg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  int hit = matches(AT_FDCWD, path);
  if (hit < 0) return -1;
  if (hit) return open_target(flags, mode);
  RESOLVE(open);
  return REAL(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  int hit = matches(AT_FDCWD, path);
  if (hit < 0) return -1;
  if (hit) return open_target(flags, mode);
  RESOLVE(open64);
  return REAL(open64)(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  int hit = matches(dirfd, path);
  if (hit < 0) return -1;
  if (hit) return open_target(flags, mode);
  RESOLVE(openat);
  return REAL(openat)(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  int hit = matches(dirfd, path);
  if (hit < 0) return -1;
  if (hit) return open_target(flags, mode);
  RESOLVE(openat64);
  return REAL(openat64)(dirfd, path, flags, mode);
}

/* The _FORTIFY_SOURCE entry points (libntfs-3g calls __open_2). */
int __open_2(const char *path, int flags) {
  int hit = matches(AT_FDCWD, path);
  if (hit < 0) return -1;
  if (hit) return open_target(flags, 0);
  RESOLVE(__open_2);
  return REAL(__open_2)(path, flags);
}

int __open64_2(const char *path, int flags) {
  int hit = matches(AT_FDCWD, path);
  if (hit < 0) return -1;
  if (hit) return open_target(flags, 0);
  RESOLVE(__open64_2);
  return REAL(__open64_2)(path, flags);
}

int __openat_2(int dirfd, const char *path, int flags) {
  int hit = matches(dirfd, path);
  if (hit < 0) return -1;
  if (hit) return open_target(flags, 0);
  RESOLVE(__openat_2);
  return REAL(__openat_2)(dirfd, path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags) {
  int hit = matches(dirfd, path);
  if (hit < 0) return -1;
  if (hit) return open_target(flags, 0);
  RESOLVE(__openat64_2);
  return REAL(__openat64_2)(dirfd, path, flags);
}

int close(int fd) {
  RESOLVE(close);
  if (is_mapped(fd)) set_mapped(fd, 0);
  return REAL(close)(fd);
}

/* Bytes of a transfer of `count` at range position `pos` that fit in the range (reads). */
static size_t clamp_count(off_t pos, size_t count) {
  off_t left = map.length - pos;
  if (left <= 0) return 0;
  return (uint64_t)count > (uint64_t)left ? (size_t)left : count;
}

ssize_t pread(int fd, void *buf, size_t count, off_t pos) {
  RESOLVE(pread);
  if (!is_mapped(fd)) return REAL(pread)(fd, buf, count, pos);
  if (pos < 0) {
    errno = EINVAL;
    return -1;
  }
  size_t n = clamp_count(pos, count);
  if (n == 0) return 0;
  return REAL(pread)(fd, buf, n, map.offset + pos);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t pos) {
  RESOLVE(pwrite);
  if (!is_mapped(fd)) return REAL(pwrite)(fd, buf, count, pos);
  if (pos < 0) {
    errno = EINVAL;
    return -1;
  }
  if (count == 0) return 0;
  size_t n = clamp_count(pos, count);
  if (n == 0) {
    errno = ENOSPC; /* at or past the end of the range: a device is full there */
    return -1;
  }
  return REAL(pwrite)(fd, buf, n, map.offset + pos);
}

ssize_t pread64(int fd, void *buf, size_t count, off_t pos) { return pread(fd, buf, count, pos); }
ssize_t pwrite64(int fd, const void *buf, size_t count, off_t pos) { return pwrite(fd, buf, count, pos); }

/* The position within the range of a mapped fd (the target's own position minus the offset). */
static off_t range_pos(int fd) {
  RESOLVE(lseek);
  off_t real = REAL(lseek)(fd, 0, SEEK_CUR);
  return real < 0 ? real : real - map.offset;
}

ssize_t read(int fd, void *buf, size_t count) {
  RESOLVE(read);
  if (!is_mapped(fd)) return REAL(read)(fd, buf, count);
  off_t pos = range_pos(fd);
  if (pos < 0) return -1;
  size_t n = clamp_count(pos, count);
  if (n == 0) return 0;
  return REAL(read)(fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t count) {
  RESOLVE(write);
  if (!is_mapped(fd)) return REAL(write)(fd, buf, count);
  off_t pos = range_pos(fd);
  if (pos < 0) return -1;
  if (count == 0) return 0;
  size_t n = clamp_count(pos, count);
  if (n == 0) {
    errno = ENOSPC;
    return -1;
  }
  return REAL(write)(fd, buf, n);
}

off_t lseek(int fd, off_t off, int whence) {
  RESOLVE(lseek);
  if (!is_mapped(fd)) return REAL(lseek)(fd, off, whence);
  off_t base;
  switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR:
      base = range_pos(fd);
      if (base < 0) return -1;
      break;
    case SEEK_END: base = map.length; break;
    default: errno = EINVAL; return -1; /* SEEK_DATA/SEEK_HOLE: not on a device */
  }
  if ((off > 0 && base > map.length - off) || base + off < 0 || base + off > map.length) {
    errno = EINVAL;
    return -1;
  }
  off_t r = REAL(lseek)(fd, map.offset + base + off, SEEK_SET);
  return r < 0 ? r : r - map.offset;
}

off_t lseek64(int fd, off_t off, int whence) { return lseek(fd, off, whence); }

int fstat(int fd, struct stat *st) {
  RESOLVE(fstat);
  int r = REAL(fstat)(fd, st);
  if (r == 0 && is_mapped(fd)) {
    st->st_size = map.length;
    st->st_blocks = (map.length + 511) / 512;
  }
  return r;
}

int fstat64(int fd, struct stat64 *st) {
  /* On 64-bit glibc struct stat64 has the layout of struct stat. */
  return fstat(fd, (struct stat *)st);
}

int ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  RESOLVE(ioctl);
  if (is_mapped(fd)) {
    switch (request) {
      case BLKGETSIZE64: *(uint64_t *)arg = (uint64_t)map.length; return 0;
      case BLKGETSIZE: *(unsigned long *)arg = (unsigned long)(map.length / 512); return 0;
      case BLKSSZGET: *(int *)arg = 512; return 0;
      default: break;
    }
  }
  return REAL(ioctl)(fd, request, arg);
}

int ftruncate(int fd, off_t length) {
  RESOLVE(ftruncate);
  if (!is_mapped(fd)) return REAL(ftruncate)(fd, length);
  if (length == map.length) return 0;
  errno = EINVAL;
  return -1;
}

int ftruncate64(int fd, off_t length) { return ftruncate(fd, length); }

/* A record lock's range moved into [offset, offset + length); l_len 0 ("to the end") becomes the
 * rest of the range. Returns -1 (EINVAL) for a lock outside it. */
static int shift_lock(int fd, struct flock *fl) {
  off_t start;
  switch (fl->l_whence) {
    case SEEK_SET: start = fl->l_start; break;
    case SEEK_CUR: {
      off_t pos = range_pos(fd);
      if (pos < 0) return -1;
      start = pos + fl->l_start;
      break;
    }
    case SEEK_END: start = map.length + fl->l_start; break;
    default: errno = EINVAL; return -1;
  }
  off_t len = fl->l_len;
  if (len < 0) {
    start += len;
    len = -len;
  }
  if (start < 0 || start > map.length) {
    errno = EINVAL;
    return -1;
  }
  if (len == 0 || len > map.length - start) len = map.length - start;
  if (len == 0) len = 1; /* a lock at the very end still excludes */
  fl->l_whence = SEEK_SET;
  fl->l_start = map.offset + start;
  fl->l_len = len;
  return 0;
}

static int do_fcntl(int (*real)(int, int, ...), int fd, int cmd, void *arg) {
  if (is_mapped(fd)) {
    switch (cmd) {
      case F_SETLK:
      case F_SETLKW:
      case F_GETLK:
      case F_OFD_SETLK:
      case F_OFD_SETLKW:
      case F_OFD_GETLK: {
        struct flock fl = *(struct flock *)arg;
        if (shift_lock(fd, &fl) < 0) return -1;
        int r = real(fd, cmd, &fl);
        if (r == 0 && (cmd == F_GETLK || cmd == F_OFD_GETLK)) {
          struct flock *out = (struct flock *)arg;
          out->l_type = fl.l_type;
          out->l_pid = fl.l_pid;
          if (fl.l_type != F_UNLCK) {
            /* The conflicting lock, in range coordinates (clipped to the range). */
            off_t s = fl.l_start - map.offset;
            off_t e = fl.l_len == 0 ? map.length : s + fl.l_len;
            if (s < 0) s = 0;
            if (e > map.length) e = map.length;
            out->l_whence = SEEK_SET;
            out->l_start = s;
            out->l_len = e - s;
          }
        }
        return r;
      }
      case F_DUPFD:
      case F_DUPFD_CLOEXEC: {
        int nfd = real(fd, cmd, (int)(intptr_t)arg);
        if (nfd >= 0) {
          if (nfd >= MAX_FDS) {
            RESOLVE(close);
            REAL(close)(nfd);
            errno = EMFILE;
            return -1;
          }
          set_mapped(nfd, 1);
        }
        return nfd;
      }
      default: break;
    }
  }
  return real(fd, cmd, arg);
}

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  RESOLVE(fcntl);
  return do_fcntl(REAL(fcntl), fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  RESOLVE(fcntl64);
  RESOLVE(fcntl);
  return do_fcntl(REAL(fcntl64) ? REAL(fcntl64) : REAL(fcntl), fd, cmd, arg);
}

static int dup_mapped(int from, int to) {
  if (to >= 0 && is_mapped(from)) {
    if (to >= MAX_FDS) {
      RESOLVE(close);
      REAL(close)(to);
      errno = EMFILE;
      return -1;
    }
    set_mapped(to, 1);
  } else if (to >= 0 && is_mapped(to)) {
    set_mapped(to, 0); /* dup2 over a mapped descriptor closed it */
  }
  return to;
}

int dup(int fd) {
  RESOLVE(dup);
  return dup_mapped(fd, REAL(dup)(fd));
}

int dup2(int fd, int to) {
  RESOLVE(dup2);
  int r = REAL(dup2)(fd, to);
  return r < 0 ? r : dup_mapped(fd, r);
}

int dup3(int fd, int to, int flags) {
  RESOLVE(dup3);
  int r = REAL(dup3)(fd, to, flags);
  return r < 0 ? r : dup_mapped(fd, r);
}

/* Vectored and mapped I/O on the range are not shifted: refuse them rather than touch other bytes. */
static ssize_t (*REAL(readv))(int, const struct iovec *, int);
static ssize_t (*REAL(writev))(int, const struct iovec *, int);

ssize_t readv(int fd, const struct iovec *iov, int n) {
  RESOLVE(readv);
  if (is_mapped(fd)) {
    errno = EINVAL;
    return -1;
  }
  return REAL(readv)(fd, iov, n);
}

ssize_t writev(int fd, const struct iovec *iov, int n) {
  RESOLVE(writev);
  if (is_mapped(fd)) {
    errno = EINVAL;
    return -1;
  }
  return REAL(writev)(fd, iov, n);
}
