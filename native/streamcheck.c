/*
 * streamcheck — passes a pipable WIM from stdin to stdout (wget | streamcheck | wimlib-imagex apply -)
 * and checks it on the way, for the boot environment's streamed Apply Operating System
 * (src/bootenv/guest/stream-apply.ts, docs/boot-environment-agent.md "Streaming").
 *
 *   streamcheck --report FILE [--anchor-bytes N --anchor-sha256 HEX] [--sha256]
 *
 * --anchor-bytes/--anchor-sha256: the SHA-256 of the stream's first N bytes as the site recorded it
 *   (the WIM's header, XML and every image's metadata resource; src/storage/pipable-wim.ts). The
 *   block that completes those N bytes is not passed on until their hash matches: on a mismatch, or
 *   a stream shorter than N, nothing past the unchecked metadata reaches wimlib, and streamcheck
 *   exits 3. Every file wimlib then extracts is checked by wimlib itself against the SHA-1 the
 *   (now verified) metadata names.
 * --sha256: the SHA-256 of the whole stream (for a WIM the site has no anchor for), in the report.
 *
 * When the reader leaves (wimlib exits once it has the image, before the WIM's trailing tables and
 * the files of images it does not apply): with an anchor that matched, streamcheck stops too — wimlib
 * has checked every file it used, so the rest is not needed, as in a bare `wget | wimlib-imagex`;
 * otherwise (the whole stream's hash) it reads the rest and counts it.
 *
 * Bytes move in large blocks (busybox tee reads 1 KiB at a time: 13x slower under emulation, docs/
 * vm-lab.md). Past the anchor, when no whole-stream hash is wanted, they move pipe to pipe with
 * splice(2): no copy through this process.
 *
 * The report (key=value lines): bytes, anchor (ok | mismatch | short | none), anchor_sha256,
 * sha256 (with --sha256), downstream (open | closed: the reader left before the end), error.
 * Exit: 0 read to the end (and the anchor matched), 2 usage, 3 anchor mismatch or short, 4 read error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- SHA-256 (FIPS 180-4) ---- */

typedef struct {
  uint32_t h[8];
  uint64_t bytes;
  uint8_t block[64];
  size_t used;
} sha256_ctx;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
    0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
    0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
    0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
    0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
    0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_init(sha256_ctx *c) {
  static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, H0, sizeof H0);
  c->bytes = 0;
  c->used = 0;
}

static void sha256_block(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += k;
}

static void sha256_update(sha256_ctx *c, const uint8_t *p, size_t n) {
  c->bytes += n;
  if (c->used) {
    size_t take = 64 - c->used < n ? 64 - c->used : n;
    memcpy(c->block + c->used, p, take);
    c->used += take;
    p += take;
    n -= take;
    if (c->used < 64) return;
    sha256_block(c->h, c->block);
    c->used = 0;
  }
  for (; n >= 64; p += 64, n -= 64) sha256_block(c->h, p);
  memcpy(c->block, p, n);
  c->used = n;
}

static void sha256_hex(sha256_ctx *c, char out[65]) {
  uint64_t bits = c->bytes * 8;
  uint8_t pad = 0x80, zero = 0, len[8];
  sha256_update(c, &pad, 1);
  while (c->used != 56) sha256_update(c, &zero, 1);
  for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_update(c, len, 8);
  for (int i = 0; i < 8; i++) sprintf(out + 8 * i, "%08x", c->h[i]);
  out[64] = 0;
}

/* ---- the pipe ---- */

#define BLOCK (1 << 20)

static const char *report_path;
static uint64_t total;
static const char *anchor_state = "none";
static char anchor_hex[65];
static int want_full;
static sha256_ctx full_ctx;
static int downstream_closed;

static void report(const char *error) {
  char tmp[4096];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", report_path) >= sizeof tmp) return;
  FILE *f = fopen(tmp, "w");
  if (!f) return;
  fprintf(f, "bytes=%llu\nanchor=%s\n", (unsigned long long)total, anchor_state);
  if (anchor_hex[0]) fprintf(f, "anchor_sha256=%s\n", anchor_hex);
  if (want_full && !error) {
    char hex[65];
    sha256_hex(&full_ctx, hex);
    fprintf(f, "sha256=%s\n", hex);
  }
  fprintf(f, "downstream=%s\n", downstream_closed ? "closed" : "open");
  if (error) fprintf(f, "error=%s\n", error);
  if (fclose(f) == 0) rename(tmp, report_path);
}

/* Writes all of buf to stdout unless the reader has gone (EPIPE: from then on bytes are only counted). */
static void forward(const uint8_t *buf, size_t n) {
  while (n && !downstream_closed) {
    ssize_t w = write(1, buf, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      downstream_closed = 1; /* EPIPE, or any write error: wimlib's own exit status tells why */
      return;
    }
    buf += w;
    n -= (size_t)w;
  }
}

static int hexok(const char *s) {
  if (strlen(s) != 64) return 0;
  for (const char *p = s; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
  return 1;
}

int main(int argc, char **argv) {
  uint64_t anchor_bytes = 0;
  const char *anchor_want = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--report") && i + 1 < argc) report_path = argv[++i];
    else if (!strcmp(argv[i], "--anchor-bytes") && i + 1 < argc) {
      char *end;
      errno = 0;
      anchor_bytes = strtoull(argv[++i], &end, 10);
      if (errno || *end || anchor_bytes == 0) {
        fprintf(stderr, "streamcheck: --anchor-bytes %s is not a positive whole number\n", argv[i]);
        return 2;
      }
    } else if (!strcmp(argv[i], "--anchor-sha256") && i + 1 < argc) anchor_want = argv[++i];
    else if (!strcmp(argv[i], "--sha256")) want_full = 1;
    else {
      fprintf(stderr, "streamcheck: unknown argument %s\nusage: streamcheck --report FILE [--anchor-bytes N --anchor-sha256 HEX] [--sha256]\n", argv[i]);
      return 2;
    }
  }
  if (!report_path || (anchor_want && !anchor_bytes) || (!anchor_want && anchor_bytes) || (anchor_want && !hexok(anchor_want))) {
    fprintf(stderr, "streamcheck: needs --report FILE, and --anchor-bytes with --anchor-sha256 (64 lower-case hex digits) together\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  /* Larger pipes: fewer wake-ups of wget and wimlib (best effort; the limit is pipe-max-size). */
  fcntl(0, F_SETPIPE_SZ, BLOCK);
  fcntl(1, F_SETPIPE_SZ, BLOCK);
  if (want_full) sha256_init(&full_ctx);
  sha256_ctx anchor_ctx;
  sha256_init(&anchor_ctx);
  int anchor_done = anchor_want == NULL;
  if (anchor_want) anchor_state = "short";
  int can_splice = 1;
  static uint8_t buf[BLOCK];
  for (;;) {
    if (anchor_done && !want_full && !downstream_closed && can_splice) {
      /* Past the anchor: pipe to pipe, no copy. EINVAL: not two pipes (a file in a test) — read/write instead. */
      ssize_t m = splice(0, NULL, 1, NULL, BLOCK, SPLICE_F_MOVE | SPLICE_F_MORE);
      if (m > 0) {
        total += (uint64_t)m;
        continue;
      }
      if (m == 0) break;
      if (errno == EINTR) continue;
      if (errno == EPIPE) downstream_closed = 1;
      else can_splice = 0;
      if (downstream_closed) break; /* the anchor matched: nothing more is needed */
      continue;
    }
    ssize_t n = read(0, buf, BLOCK);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      char why[256];
      snprintf(why, sizeof why, "reading the stream: %s", strerror(errno));
      report(why);
      return 4;
    }
    uint64_t at = total;
    total += (uint64_t)n;
    if (want_full) sha256_update(&full_ctx, buf, (size_t)n);
    if (!anchor_done) {
      uint64_t take = anchor_bytes - at < (uint64_t)n ? anchor_bytes - at : (uint64_t)n;
      sha256_update(&anchor_ctx, buf, (size_t)take);
      if (at + take == anchor_bytes) {
        anchor_done = 1;
        sha256_hex(&anchor_ctx, anchor_hex);
        if (strcmp(anchor_hex, anchor_want) != 0) {
          anchor_state = "mismatch";
          report(NULL);
          return 3; /* this block — the end of the metadata — never reaches wimlib */
        }
        anchor_state = "ok";
      }
    }
    forward(buf, (size_t)n);
    if (downstream_closed && anchor_done && anchor_want && !want_full) break; /* as above */
  }
  if (!anchor_done) {
    report(NULL);
    return 3;
  }
  report(NULL);
  return 0;
}
