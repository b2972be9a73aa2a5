/*
 * userstore — the byte work of the user state store `openosd.userstate/v1` (docs/user-state.md
 * "Round 4"; the format: shared/spec/user-state.md §2.3–2.4, src/actions/user-state/store-format.ts),
 * driven by the TypeScript side (src/actions/user-state/native-store.ts), which keeps everything
 * else: the walk, the rules, the manifest, collisions, hard links, store.json, the uploads.
 *
 *   userstore capture STOREDIR STOREID_HEX FIRST_PACK PACK_MAX LEVEL
 *   userstore restore STOREDIR STOREID_HEX
 *
 * The first line on stdin is the key: `K <64 hex>` (encrypted store) or `P` (plain: no cipher, frames
 * stored). Then one request after another; one answer line per request, in request order, on stdout.
 *
 * capture — files into packs STOREDIR/packs/NNNNNN.osdp, numbered from FIRST_PACK, each at most
 * PACK_MAX bytes (a frame never spans packs; a pack holds at least one frame):
 *   `F <len>\n<path: len bytes>\n`  store this file: its bytes as fstat gives its size at open, cut
 *       into frames of 4 MiB of plaintext (the last shorter; an empty file has none), SHA-256 of the
 *       whole; a frame is deflate-raw level LEVEL when the key is there, LEVEL > 0, its 4 KiB middle
 *       sample's byte entropy is under 7.2 bits (looksCompressible in store-format.ts) and deflate
 *       makes it smaller, else stored.
 *       → `F <size> <sha256 hex> <frames> <pack>:<offset>:<frame> …` or `E <errno> <syscall>` (the
 *         file could not be opened or read; frames of it already written stay unreferenced).
 *   `C`  close the current pack (the next frame starts a new one)                    → `C`
 *   `Q` or end of input: close the current pack, exit 0                             → `Q <peak RSS KiB>`
 *   Whenever a pack is complete: `P <n> <bytes> <sha256 hex>` (before the answer that needed the next).
 *   A pack that cannot be written: `X <errno> <syscall>`, exit 1.
 *
 * restore — files from the packs:
 *   `W <size> <sha256> <atime s|-> <mtime s|-> <readonly 0|1> <n> <pack>:<offset>:<frame>… <len>\n<path>\n`
 *       writes a new file (O_EXCL; missing parent folders made): every frame's header checked, its
 *       GCM tag checked, inflated, its length checked; the whole file's size and SHA-256 checked; the
 *       times set as libuv's futimes would from those seconds; read-only = write bits off. A file
 *       that fails is removed.
 *       → `OK`, or `I <message>` (a frame is wrong: the TS reader's words after "<where>: "),
 *         `B <pack> <offset>` (the pack ends before the offset), `H <size> <sha256>` (the whole file
 *         is not the manifest's), `S <errno> <syscall> <-|f|p<pack>>` (a system call failed, on
 *         nothing, the file, or the pack).
 *   `Q` or end of input → `Q <peak RSS KiB>`.
 *
 * Deflate is libdeflate's when built with HAVE_LIBDEFLATE (scripts/system-packages.sh does when its header
 * is there: whole-buffer DEFLATE, about twice zlib's speed at level 1, the same format), else zlib's.
 *
 * Threads (two cores): capture — the main thread reads and hashes the files and samples each frame,
 * N compressor threads (OSD_USERSTORE_THREADS, default 2) deflate, one writer encrypts, hashes the
 * pack and writes, in order; restore — the main thread reads, decrypts and inflates frames, one writer
 * hashes and writes the files. At most SLOTS frames in memory (two 4 MiB buffers each).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>
#ifdef HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#define FRAME_MAX (4u << 20)
#define HDR 40
#define TAG 16
#define OUT_MAX (FRAME_MAX + TAG + 1024)
#define SLOTS 6
#define RING 512
#define SAMPLE 4096

static unsigned char key[32];
static int have_key;
static unsigned char store_id[16];
static const char *store_dir;
static int level = 1;

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "userstore: ");
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(2);
}

static void write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      exit(3); /* the parent is gone */
    }
    c += w;
    n -= (size_t)w;
  }
}

/* A growing answer line. */
typedef struct {
  char *p;
  size_t len, cap;
} sbuf;
static void sb_add(sbuf *s, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->p ? s->p + s->len : NULL, s->p ? s->cap - s->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) die("format");
    if (s->p && s->len + (size_t)n < s->cap) {
      s->len += (size_t)n;
      return;
    }
    s->cap = (s->cap + (size_t)n + 1) * 2;
    s->p = realloc(s->p, s->cap);
    if (!s->p) die("out of memory");
  }
}
static void sb_send(sbuf *s) {
  sb_add(s, "\n");
  write_all(1, s->p, s->len);
  s->len = 0;
}

static void hex(const unsigned char *b, size_t n, char *out) {
  static const char d[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = d[b[i] >> 4];
    out[2 * i + 1] = d[b[i] & 15];
  }
  out[2 * n] = 0;
}
static int unhex(const char *s, unsigned char *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int v = 0;
    for (int k = 0; k < 2; k++) {
      char c = s[2 * i + k];
      int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (x < 0) return -1;
      v = v * 16 + x;
    }
    out[i] = (unsigned char)v;
  }
  return s[2 * n] == 0 || s[2 * n] == '\n' || s[2 * n] == ' ' ? 0 : -1;
}

static void put32(unsigned char *p, uint32_t v) {
  p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}
static void put64(unsigned char *p, uint64_t v) {
  put32(p, (uint32_t)(v >> 32));
  put32(p + 4, (uint32_t)v);
}
static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint64_t get64(const unsigned char *p) {
  return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void header(unsigned char *h, int codec, uint32_t pack, uint64_t frame, uint32_t plain, uint32_t stored) {
  memset(h, 0, HDR);
  memcpy(h, "OSDF", 4);
  h[4] = 1;
  h[5] = (unsigned char)codec;
  put32(h + 8, pack);
  put64(h + 12, frame);
  put32(h + 20, plain);
  put32(h + 24, stored);
  put32(h + 28, pack);
  put64(h + 32, frame);
}

static long peak_rss_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* One line from stdin (without '\n'), or NULL at the end. */
static char *line_buf;
static size_t line_cap;
static char *next_line(void) {
  ssize_t n = getline(&line_buf, &line_cap, stdin);
  if (n <= 0) return NULL;
  if (line_buf[n - 1] == '\n') line_buf[n - 1] = 0;
  return line_buf;
}
/* `len` bytes of a path and the '\n' after it. */
static char *read_path(size_t len) {
  char *p = malloc(len + 2);
  if (!p || fread(p, 1, len + 1, stdin) != len + 1 || p[len] != '\n') die("a path cut short");
  p[len] = 0;
  if (strlen(p) != len) die("a path with a NUL");
  return p;
}

static void read_key(void) {
  char *l = next_line();
  if (!l) die("no key line");
  if (l[0] == 'K' && l[1] == ' ') {
    if (strlen(l + 2) != 64 || unhex(l + 2, key, 32)) die("bad key line");
    have_key = 1;
  } else if (strcmp(l, "P") != 0)
    die("bad key line");
  /* nothing of the key stays in the line buffer */
  memset(line_buf, 0, line_cap);
}

/* ---- the ring: items in store order ------------------------------------------------------------ */

enum { IT_FRAME, IT_END, IT_CLOSE, IT_QUIT };
enum { ST_PENDING, ST_WORKING, ST_DONE };

struct ref {
  uint32_t pack, frame;
  uint64_t offset;
};

struct file {
  /* capture */
  uint64_t size;
  unsigned char sha[32];
  int err;
  const char *syscall;
  struct ref *refs;
  size_t nrefs, crefs;
  /* restore */
  char *path;
  uint64_t want_size;
  char want_sha[65];
  int have_atime, have_mtime, readonly;
  double atime, mtime;
  int fd;
  char *ierr;      /* a frame's integrity message */
  int berr;        /* 1: the pack ends before boff */
  uint32_t bpack;
  uint64_t boff;
  int serr;        /* errno of a failed call on the file (the writer's) */
  const char *ssys;
  char swhich[16];
  int merr;        /* errno of a failed call while reading the frames (the main thread's) */
  const char *msys;
  char mwhich[16];
  EVP_MD_CTX *md;
  uint64_t wrote;
};

struct slot {
  unsigned char *plain; /* FRAME_MAX */
  unsigned char *out;   /* OUT_MAX */
  unsigned char *data;  /* what the writer takes: plain or out */
  uint32_t plen, dlen;
  int codec;
  int deflate;
  struct slot *next;
};

struct item {
  int kind, state;
  struct slot *s;
  struct file *f;
};

static struct item ring[RING];
static uint64_t head, tail;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c_space = PTHREAD_COND_INITIALIZER, c_work = PTHREAD_COND_INITIALIZER, c_done = PTHREAD_COND_INITIALIZER,
                      c_slot = PTHREAD_COND_INITIALIZER;
static struct slot *free_slots;
static int quitting;

static void slots_init(void) {
  for (int i = 0; i < SLOTS; i++) {
    struct slot *s = calloc(1, sizeof *s);
    s->plain = malloc(FRAME_MAX);
    s->out = malloc(OUT_MAX);
    if (!s || !s->plain || !s->out) die("out of memory");
    s->next = free_slots;
    free_slots = s;
  }
}
static struct slot *slot_get(void) {
  pthread_mutex_lock(&mu);
  while (!free_slots) pthread_cond_wait(&c_slot, &mu);
  struct slot *s = free_slots;
  free_slots = s->next;
  pthread_mutex_unlock(&mu);
  return s;
}
static void push(int kind, int state, struct slot *s, struct file *f) {
  pthread_mutex_lock(&mu);
  while (tail - head >= RING) pthread_cond_wait(&c_space, &mu);
  struct item *it = &ring[tail % RING];
  it->kind = kind, it->state = state, it->s = s, it->f = f;
  tail++;
  if (state == ST_PENDING) pthread_cond_signal(&c_work);
  else pthread_cond_broadcast(&c_done);
  pthread_mutex_unlock(&mu);
}
/* The writer's next item, once done. */
static struct item take(void) {
  pthread_mutex_lock(&mu);
  while (head == tail || ring[head % RING].state != ST_DONE) pthread_cond_wait(&c_done, &mu);
  struct item it = ring[head % RING];
  pthread_mutex_unlock(&mu);
  return it;
}
static void release(struct slot *s) {
  pthread_mutex_lock(&mu);
  head++;
  if (s) {
    s->next = free_slots;
    free_slots = s;
    pthread_cond_signal(&c_slot);
  }
  pthread_cond_signal(&c_space);
  pthread_mutex_unlock(&mu);
}

static int make_parents(const char *path);

/* ---- capture ------------------------------------------------------------------------------------ */

static uint32_t first_pack;
static uint64_t pack_max;

/* log2 of 0 … SAMPLE, as store-format.ts's LOG2 table. */
static double LOG2[SAMPLE + 1];

/* looksCompressible (store-format.ts): the order-0 entropy of at most 4 KiB from the middle < 7.2 bits. */
static int looks_compressible(const unsigned char *p, uint32_t len) {
  uint32_t n = len < SAMPLE ? len : SAMPLE;
  if (n < 64) return 1;
  uint32_t from = (len - n) >> 1;
  uint32_t counts[256] = {0};
  for (uint32_t i = from; i < from + n; i++) counts[p[i]]++;
  double sum = 0;
  for (int i = 0; i < 256; i++)
    if (counts[i] > 1) sum += counts[i] * LOG2[counts[i]];
  return LOG2[n] - sum / n < 7.2;
}

static void *compressor(void *arg) {
  (void)arg;
#ifdef HAVE_LIBDEFLATE
  /* libdeflate: whole-buffer DEFLATE (a frame is one buffer), about twice zlib's speed at level 1. */
  struct libdeflate_compressor *ld = libdeflate_alloc_compressor(level);
  if (!ld) die("libdeflate_alloc_compressor");
#endif
  z_stream z;
  memset(&z, 0, sizeof z);
  /* Node's deflateRaw: windowBits 15, memLevel 8, the default strategy. */
  if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) die("deflateInit2");
  pthread_mutex_lock(&mu);
  for (;;) {
    struct item *it = NULL;
    for (uint64_t i = head; i < tail; i++) {
      struct item *c = &ring[i % RING];
      if (c->state == ST_PENDING) {
        it = c;
        break;
      }
    }
    if (!it) {
      if (quitting) break;
      pthread_cond_wait(&c_work, &mu);
      continue;
    }
    it->state = ST_WORKING;
    struct slot *s = it->s;
    pthread_mutex_unlock(&mu);
#ifdef HAVE_LIBDEFLATE
    /* 0 when it does not fit in plen - 1 bytes: kept only when smaller than the plaintext. */
    size_t n = s->plen > 1 ? libdeflate_deflate_compress(ld, s->plain, s->plen, s->out, s->plen - 1) : 0;
    if (n > 0) {
      s->codec = 1;
      s->data = s->out;
      s->dlen = (uint32_t)n;
    }
#else
    deflateReset(&z);
    z.next_in = s->plain;
    z.avail_in = s->plen;
    z.next_out = s->out;
    z.avail_out = s->plen; /* kept only when smaller than the plaintext */
    int r = deflate(&z, Z_FINISH);
    if (r == Z_STREAM_END && z.total_out < s->plen) {
      s->codec = 1;
      s->data = s->out;
      s->dlen = (uint32_t)z.total_out;
    }
#endif
    pthread_mutex_lock(&mu);
    it->state = ST_DONE;
    pthread_cond_broadcast(&c_done);
  }
  pthread_mutex_unlock(&mu);
  deflateEnd(&z);
#ifdef HAVE_LIBDEFLATE
  libdeflate_free_compressor(ld);
#endif
  return NULL;
}

/* The writer's pack. */
static int pack_fd = -1;
static uint32_t pack_n;
static uint64_t pack_bytes, pack_frames;
static EVP_MD_CTX *pack_md;
static EVP_CIPHER_CTX *gcm;
static sbuf out_line;

static void fatal_io(int err, const char *syscall) {
  sb_add(&out_line, "X %d %s", err, syscall);
  sb_send(&out_line);
  exit(1);
}

static void close_pack(void) {
  if (pack_fd < 0) return;
  if (close(pack_fd) != 0) fatal_io(errno, "close");
  pack_fd = -1;
  unsigned char d[32];
  char h[65];
  EVP_DigestFinal_ex(pack_md, d, NULL);
  hex(d, 32, h);
  sb_add(&out_line, "P %u %llu %s", pack_n, (unsigned long long)pack_bytes, h);
  sb_send(&out_line);
}

static void next_pack(void) {
  close_pack();
  pack_n = pack_n ? pack_n + 1 : first_pack;
  char path[4096];
  snprintf(path, sizeof path, "%s/packs/%06u.osdp", store_dir, pack_n);
  pack_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (pack_fd < 0 && errno == ENOENT) {
    if (make_parents(path) != 0) fatal_io(errno, "mkdir");
    pack_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  }
  if (pack_fd < 0) fatal_io(errno, "open");
  pack_bytes = pack_frames = 0;
  EVP_DigestInit_ex(pack_md, EVP_sha256(), NULL);
}

static void write_frame(struct file *f, struct slot *s) {
  uint64_t frame_bytes = HDR + s->dlen + (have_key ? TAG : 0);
  if (pack_fd < 0 || (pack_bytes > 0 && pack_bytes + frame_bytes > pack_max)) next_pack();
  unsigned char h[HDR], tag[TAG], aad[16 + HDR];
  int codec = s->codec;
  header(h, codec, pack_n, pack_frames, s->plen, (uint32_t)(frame_bytes - HDR));
  if (have_key) {
    int n = 0;
    memcpy(aad, store_id, 16);
    memcpy(aad + 16, h, HDR);
    if (!EVP_EncryptInit_ex(gcm, NULL, NULL, key, h + 28) || !EVP_EncryptUpdate(gcm, NULL, &n, aad, sizeof aad) ||
        !EVP_EncryptUpdate(gcm, s->data, &n, s->data, (int)s->dlen) || !EVP_EncryptFinal_ex(gcm, tag, &n) ||
        !EVP_CIPHER_CTX_ctrl(gcm, EVP_CTRL_GCM_GET_TAG, TAG, tag))
      die("AES-256-GCM failed");
  }
  struct iovec v[3] = {{h, HDR}, {s->data, s->dlen}, {tag, TAG}};
  int nv = have_key ? 3 : 2;
  EVP_DigestUpdate(pack_md, h, HDR);
  EVP_DigestUpdate(pack_md, s->data, s->dlen);
  if (have_key) EVP_DigestUpdate(pack_md, tag, TAG);
  size_t left = (size_t)frame_bytes;
  int i = 0;
  while (left > 0) {
    ssize_t w = writev(pack_fd, v + i, nv - i);
    if (w < 0) {
      if (errno == EINTR) continue;
      fatal_io(errno, "write");
    }
    left -= (size_t)w;
    while (i < nv && (size_t)w >= v[i].iov_len) w -= (ssize_t)v[i++].iov_len;
    if (i < nv) {
      v[i].iov_base = (char *)v[i].iov_base + w;
      v[i].iov_len -= (size_t)w;
    }
  }
  if (f->nrefs == f->crefs) {
    f->crefs = f->crefs ? f->crefs * 2 : 4;
    f->refs = realloc(f->refs, f->crefs * sizeof *f->refs);
    if (!f->refs) die("out of memory");
  }
  f->refs[f->nrefs++] = (struct ref){pack_n, (uint32_t)pack_frames, pack_bytes};
  pack_bytes += frame_bytes;
  pack_frames++;
}

static void *capture_writer(void *arg) {
  (void)arg;
  for (;;) {
    struct item it = take();
    if (it.kind == IT_FRAME) {
      write_frame(it.f, it.s);
    } else if (it.kind == IT_END) {
      struct file *f = it.f;
      if (f->err) sb_add(&out_line, "E %d %s", f->err, f->syscall);
      else {
        char h[65];
        hex(f->sha, 32, h);
        sb_add(&out_line, "F %llu %s %zu", (unsigned long long)f->size, h, f->nrefs);
        for (size_t i = 0; i < f->nrefs; i++)
          sb_add(&out_line, " %u:%llu:%u", f->refs[i].pack, (unsigned long long)f->refs[i].offset, f->refs[i].frame);
      }
      sb_send(&out_line);
      free(f->refs);
      free(f);
    } else if (it.kind == IT_CLOSE) {
      close_pack();
      sb_add(&out_line, "C");
      sb_send(&out_line);
    } else {
      close_pack();
      sb_add(&out_line, "Q %ld", peak_rss_kib());
      sb_send(&out_line);
      release(it.s);
      return NULL;
    }
    release(it.s);
  }
}

static void capture_file(const char *path, EVP_MD_CTX *md) {
  struct file *f = calloc(1, sizeof *f);
  if (!f) die("out of memory");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0) {
    f->err = errno, f->syscall = "open";
  } else if (fstat(fd, &st) != 0) {
    f->err = errno, f->syscall = "fstat";
  } else if (S_ISDIR(st.st_mode)) {
    f->err = EISDIR, f->syscall = "open";
  } else {
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    uint64_t left = (uint64_t)st.st_size, size = 0;
    int eof = 0;
    while (left > 0 && !eof && !f->err) {
      struct slot *s = slot_get();
      uint32_t want = left < FRAME_MAX ? (uint32_t)left : FRAME_MAX, got = 0;
      while (got < want) {
        ssize_t r = read(fd, s->plain + got, want - got);
        if (r < 0) {
          if (errno == EINTR) continue;
          f->err = errno, f->syscall = "read";
          break;
        }
        if (r == 0) {
          eof = 1;
          break;
        }
        got += (uint32_t)r;
      }
      if (f->err || got == 0) {
        pthread_mutex_lock(&mu);
        s->next = free_slots;
        free_slots = s;
        pthread_mutex_unlock(&mu);
        break;
      }
      EVP_DigestUpdate(md, s->plain, got);
      left -= got;
      size += got;
      s->plen = got;
      s->codec = 0;
      s->data = s->plain;
      s->dlen = got;
      s->deflate = have_key && level > 0 && looks_compressible(s->plain, got);
      push(IT_FRAME, s->deflate ? ST_PENDING : ST_DONE, s, f);
    }
    if (!f->err) {
      EVP_DigestFinal_ex(md, f->sha, NULL);
      f->size = size;
    }
  }
  if (fd >= 0) close(fd);
  push(IT_END, ST_DONE, NULL, f);
}

static int capture(int argc, char **argv) {
  if (argc != 7) die("usage: userstore capture STOREDIR STOREID_HEX FIRST_PACK PACK_MAX LEVEL");
  store_dir = argv[2];
  if (strlen(argv[3]) != 32 || unhex(argv[3], store_id, 16)) die("bad store id");
  first_pack = (uint32_t)strtoul(argv[4], NULL, 10);
  pack_max = strtoull(argv[5], NULL, 10);
  level = atoi(argv[6]);
  if (first_pack == 0 || pack_max == 0 || level < 0 || level > 9) die("bad arguments");
  read_key();
  for (int i = 1; i <= SAMPLE; i++) LOG2[i] = log2((double)i);
  slots_init();
  pack_md = EVP_MD_CTX_new();
  gcm = EVP_CIPHER_CTX_new();
  if (!pack_md || !gcm || !EVP_EncryptInit_ex(gcm, EVP_aes_256_gcm(), NULL, NULL, NULL)) die("OpenSSL");
  const char *t = getenv("OSD_USERSTORE_THREADS");
  int nthreads = t ? atoi(t) : 2;
  if (nthreads < 1) nthreads = 1;
  if (nthreads > 8) nthreads = 8;
  pthread_t comp[8], wr;
  for (int i = 0; i < nthreads; i++) pthread_create(&comp[i], NULL, compressor, NULL);
  pthread_create(&wr, NULL, capture_writer, NULL);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  char *l;
  while ((l = next_line()) && strcmp(l, "Q") != 0) {
    if (l[0] == 'F' && l[1] == ' ') {
      char *path = read_path(strtoul(l + 2, NULL, 10));
      capture_file(path, md);
      free(path);
    } else if (strcmp(l, "C") == 0)
      push(IT_CLOSE, ST_DONE, NULL, NULL);
    else
      die("unknown request %.40s", l);
  }
  push(IT_QUIT, ST_DONE, NULL, NULL);
  pthread_join(wr, NULL);
  pthread_mutex_lock(&mu);
  quitting = 1;
  pthread_cond_broadcast(&c_work);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < nthreads; i++) pthread_join(comp[i], NULL);
  return 0;
}

/* ---- restore ------------------------------------------------------------------------------------ */

#ifdef HAVE_LIBDEFLATE
static struct libdeflate_decompressor *decompressor;
#endif
static int rpack_fd = -1;
static uint32_t rpack_n;
static uint64_t rpack_size;

static int set_ierr(struct file *f, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&f->ierr, fmt, ap) < 0) die("out of memory");
  va_end(ap);
  return -1;
}

static int pread_all(int fd, unsigned char *p, size_t n, uint64_t off, size_t *got) {
  *got = 0;
  while (*got < n) {
    ssize_t r = pread(fd, p + *got, n - *got, (off_t)(off + *got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) break;
    *got += (size_t)r;
  }
  return 0;
}

/* One frame into s (s->data, s->dlen = its plaintext), or -1 with the file's error set. decodeFrame in store-format.ts. */
static int decode_frame(struct file *f, struct ref *ref, struct slot *s, EVP_CIPHER_CTX *ctx, z_stream *z) {
  if (rpack_fd < 0 || rpack_n != ref->pack) {
    if (rpack_fd >= 0) close(rpack_fd);
    char path[4096];
    snprintf(path, sizeof path, "%s/packs/%06u.osdp", store_dir, ref->pack);
    rpack_fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (rpack_fd < 0 || fstat(rpack_fd, &st) != 0) {
      f->merr = errno, f->msys = rpack_fd < 0 ? "open" : "fstat";
      snprintf(f->mwhich, sizeof f->mwhich, "p%u", ref->pack);
      if (rpack_fd >= 0) close(rpack_fd);
      rpack_fd = -1;
      return -1;
    }
    rpack_n = ref->pack;
    rpack_size = (uint64_t)st.st_size;
    posix_fadvise(rpack_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  if (ref->offset > rpack_size) {
    f->berr = 1, f->bpack = ref->pack, f->boff = ref->offset;
    return -1;
  }
  unsigned char h[HDR];
  size_t got;
  if (pread_all(rpack_fd, h, HDR, ref->offset, &got) != 0) {
    f->merr = errno, f->msys = "read", strcpy(f->mwhich, "-");
    return -1;
  }
  if (got < HDR) return set_ierr(f, "the store ends inside a frame header (cut short)");
  if (memcmp(h, "OSDF", 4) != 0 || h[4] != 1) return set_ierr(f, "no frame where the manifest says one is");
  uint32_t pack = get32(h + 8), plain_len = get32(h + 20), stored_len = get32(h + 24);
  uint64_t frame = get64(h + 12);
  int codec = h[5];
  if (pack != ref->pack || frame != ref->frame)
    return set_ierr(f, "frame %u/%llu found where %u/%u belongs", pack, (unsigned long long)frame, ref->pack, ref->frame);
  if (plain_len > FRAME_MAX || stored_len > FRAME_MAX + TAG + 1024 || (codec != 0 && codec != 1))
    return set_ierr(f, "frame header out of bounds (altered)");
  if (pread_all(rpack_fd, s->out, stored_len, ref->offset + HDR, &got) != 0) {
    f->merr = errno, f->msys = "read", strcpy(f->mwhich, "-");
    return -1;
  }
  if (got < stored_len) return set_ierr(f, "the store ends inside a frame (cut short)");
  uint32_t payload_len = stored_len;
  if (have_key) {
    if (stored_len < TAG) return set_ierr(f, "frame too short for its tag");
    payload_len = stored_len - TAG;
    unsigned char aad[16 + HDR];
    memcpy(aad, store_id, 16);
    memcpy(aad + 16, h, HDR);
    int n = 0;
    if (!EVP_DecryptInit_ex(ctx, NULL, NULL, key, h + 28) || !EVP_DecryptUpdate(ctx, NULL, &n, aad, sizeof aad) ||
        !EVP_DecryptUpdate(ctx, s->out, &n, s->out, (int)payload_len) ||
        !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG, s->out + payload_len) || EVP_DecryptFinal_ex(ctx, s->out + payload_len, &n) <= 0)
      return set_ierr(f, "frame %u/%llu fails its authentication tag (altered)", pack, (unsigned long long)frame);
  }
  if (codec == 1) {
#ifdef HAVE_LIBDEFLATE
    size_t n = 0;
    enum libdeflate_result r = libdeflate_deflate_decompress(decompressor, s->out, payload_len, s->plain, FRAME_MAX, &n);
    if (r != LIBDEFLATE_SUCCESS)
      return set_ierr(f, "frame %u/%llu does not decompress (%s)", pack, (unsigned long long)frame,
                      r == LIBDEFLATE_INSUFFICIENT_SPACE ? "Cannot create a Buffer larger than 4194304 bytes" : "invalid deflate data");
    s->data = s->plain;
    s->dlen = (uint32_t)n;
    (void)z;
#else
    inflateReset(z);
    z->next_in = s->out;
    z->avail_in = payload_len;
    z->next_out = s->plain;
    z->avail_out = FRAME_MAX;
    int r = inflate(z, Z_FINISH);
    if (r != Z_STREAM_END) {
      /* Node's words: zlib's message, or "unexpected end of file" for input that stops early. */
      const char *msg = r == Z_BUF_ERROR && z->avail_out > 0 ? "unexpected end of file"
                        : r == Z_BUF_ERROR                    ? "Cannot create a Buffer larger than 4194304 bytes"
                        : z->msg                              ? z->msg
                                                              : "zlib error";
      return set_ierr(f, "frame %u/%llu does not decompress (%s)", pack, (unsigned long long)frame, msg);
    }
    s->data = s->plain;
    s->dlen = (uint32_t)z->total_out;
#endif
  } else {
    s->data = s->out;
    s->dlen = payload_len;
  }
  if (s->dlen != plain_len)
    return set_ierr(f, "frame %u/%llu holds %u bytes, its header says %u", pack, (unsigned long long)frame, s->dlen, plain_len);
  return 0;
}

/* mkdir -p of a path's parent folders (as Node's mkdir recursive: mode 0777 less the umask). */
static int make_parents(const char *path) {
  char *p = strdup(path);
  if (!p) return -1;
  for (char *c = p + 1; *c; c++) {
    if (*c != '/') continue;
    *c = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
      int e = errno;
      free(p);
      errno = e;
      return -1;
    }
    *c = '/';
  }
  free(p);
  return 0;
}

static void sys_fail(struct file *f, const char *syscall) {
  if (!f->serr) {
    f->serr = errno;
    f->ssys = syscall;
    strcpy(f->swhich, "f");
  }
}

static void open_target(struct file *f) {
  f->fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (f->fd < 0 && errno == ENOENT && make_parents(f->path) == 0) f->fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (f->fd < 0) sys_fail(f, "open");
}

/* libuv's uv__fs_to_timespec: what Node's futimesSync(fd, seconds, seconds) sets. */
static struct timespec to_timespec(int have, double t) {
  struct timespec ts;
  if (!have) {
    ts.tv_sec = 0;
    ts.tv_nsec = UTIME_OMIT;
    return ts;
  }
  ts.tv_sec = (time_t)t;
  ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
  ts.tv_nsec -= ts.tv_nsec % 1000;
  if (ts.tv_nsec < 0) {
    ts.tv_nsec += 1000000000;
    ts.tv_sec -= 1;
  }
  return ts;
}

static void finish_file(struct file *f) {
  int failed = f->ierr || f->berr || f->merr || f->serr;
  if (!failed) {
    if (f->fd < 0) open_target(f);
    failed = f->serr != 0;
  }
  unsigned char d[32];
  char got[65];
  EVP_DigestFinal_ex(f->md, d, NULL);
  hex(d, 32, got);
  if (!failed && (f->wrote != f->want_size || strcmp(got, f->want_sha) != 0)) {
    sb_add(&out_line, "H %llu %s", (unsigned long long)f->wrote, got);
    failed = 2;
  }
  if (!failed && (f->have_atime || f->have_mtime)) {
    struct timespec ts[2] = {to_timespec(f->have_atime, f->atime), to_timespec(f->have_mtime, f->mtime)};
    if (futimens(f->fd, ts) != 0) sys_fail(f, "futime"), failed = 1;
  }
  if (!failed && f->readonly) {
    struct stat st;
    if (fstat(f->fd, &st) != 0 || fchmod(f->fd, st.st_mode & ~0222) != 0) sys_fail(f, "fchmod"), failed = 1;
  }
  if (f->fd >= 0 && close(f->fd) != 0 && !failed) sys_fail(f, "close"), failed = 1;
  if (failed && f->fd >= 0) unlink(f->path); /* never half-restored */
  if (failed == 2) {
  } else if (f->ierr) sb_add(&out_line, "I %s", f->ierr);
  else if (f->berr) sb_add(&out_line, "B %u %llu", f->bpack, (unsigned long long)f->boff);
  else if (f->merr) sb_add(&out_line, "S %d %s %s", f->merr, f->msys, f->mwhich);
  else if (f->serr) sb_add(&out_line, "S %d %s %s", f->serr, f->ssys, f->swhich);
  else sb_add(&out_line, "OK");
  sb_send(&out_line);
  EVP_MD_CTX_free(f->md);
  free(f->ierr);
  free(f->refs);
  free(f->path);
  free(f);
}

static void *restore_writer(void *arg) {
  (void)arg;
  for (;;) {
    struct item it = take();
    if (it.kind == IT_FRAME) {
      struct file *f = it.f;
      struct slot *s = it.s;
      EVP_DigestUpdate(f->md, s->data, s->dlen);
      f->wrote += s->dlen;
      if (!f->serr) {
        if (f->fd < 0) open_target(f);
        size_t at = 0;
        while (!f->serr && at < s->dlen) {
          ssize_t w = write(f->fd, s->data + at, s->dlen - at);
          if (w < 0) {
            if (errno == EINTR) continue;
            sys_fail(f, "write");
          } else
            at += (size_t)w;
        }
      }
    } else if (it.kind == IT_END) {
      finish_file(it.f);
    } else {
      sb_add(&out_line, "Q %ld", peak_rss_kib());
      sb_send(&out_line);
      release(it.s);
      return NULL;
    }
    release(it.s);
  }
}

/* `W <size> <sha> <atime|-> <mtime|-> <ro> <n> p:o:f… <len>` */
static struct file *parse_w(char *l) {
  struct file *f = calloc(1, sizeof *f);
  if (!f) die("out of memory");
  f->fd = -1;
  char *save = NULL, *tok;
  char *toks[7];
  tok = strtok_r(l + 2, " ", &save);
  for (int i = 0; i < 6; i++) {
    if (!tok) die("bad W request");
    toks[i] = tok;
    tok = strtok_r(NULL, " ", &save);
  }
  f->want_size = strtoull(toks[0], NULL, 10);
  if (strlen(toks[1]) != 64) die("bad W sha256");
  memcpy(f->want_sha, toks[1], 65);
  if (strcmp(toks[2], "-")) f->have_atime = 1, f->atime = strtod(toks[2], NULL);
  if (strcmp(toks[3], "-")) f->have_mtime = 1, f->mtime = strtod(toks[3], NULL);
  f->readonly = atoi(toks[4]);
  size_t n = strtoul(toks[5], NULL, 10);
  f->refs = calloc(n ? n : 1, sizeof *f->refs);
  for (size_t i = 0; i < n; i++) {
    if (!tok) die("bad W frames");
    unsigned pack, frame;
    unsigned long long off;
    if (sscanf(tok, "%u:%llu:%u", &pack, &off, &frame) != 3) die("bad W frame");
    f->refs[i] = (struct ref){pack, frame, off};
    tok = strtok_r(NULL, " ", &save);
  }
  f->nrefs = n;
  if (!tok) die("bad W path length");
  toks[6] = tok;
  f->path = read_path(strtoul(toks[6], NULL, 10));
  f->md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(f->md, EVP_sha256(), NULL);
  return f;
}

static int restore(int argc, char **argv) {
  if (argc != 4) die("usage: userstore restore STOREDIR STOREID_HEX");
  store_dir = argv[2];
  if (strlen(argv[3]) != 32 || unhex(argv[3], store_id, 16)) die("bad store id");
  read_key();
  slots_init();
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (!ctx || !EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL)) die("OpenSSL");
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, -15) != Z_OK) die("inflateInit2");
#ifdef HAVE_LIBDEFLATE
  decompressor = libdeflate_alloc_decompressor();
  if (!decompressor) die("libdeflate_alloc_decompressor");
#endif
  pthread_t wr;
  pthread_create(&wr, NULL, restore_writer, NULL);
  char *l;
  while ((l = next_line()) && strcmp(l, "Q") != 0) {
    if (l[0] != 'W' || l[1] != ' ') die("unknown request %.40s", l);
    struct file *f = parse_w(l);
    for (size_t i = 0; i < f->nrefs; i++) {
      struct slot *s = slot_get();
      if (decode_frame(f, &f->refs[i], s, ctx, &z) != 0) {
        pthread_mutex_lock(&mu);
        s->next = free_slots;
        free_slots = s;
        pthread_mutex_unlock(&mu);
        if (rpack_fd >= 0) close(rpack_fd); /* as the TS reader: the cursor is re-placed for the next file */
        rpack_fd = -1;
        break;
      }
      push(IT_FRAME, ST_DONE, s, f);
    }
    push(IT_END, ST_DONE, NULL, f);
  }
  push(IT_QUIT, ST_DONE, NULL, NULL);
  pthread_join(wr, NULL);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "capture") == 0) return capture(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "restore") == 0) return restore(argc, argv);
  die("usage: userstore capture|restore …");
  return 2;
}
