/*
 * ntfsfs — files, metadata and streams inside an NTFS volume held in a plain file, via libntfs-3g
 * (toolchain.md §3.4: no mount, no FUSE). OpenOSD's NtfsVolume drives it; one process does many
 * operations on one mount, since a user-state capture or restore touches thousands of files.
 *
 *   ntfsfs IMAGE stat PATH     one JSON line (below), exit 3 when nothing is at PATH
 *   ntfsfs IMAGE walk PATH     one JSON line per entry below the folder PATH
 *   ntfsfs IMAGE cat PATH      the file's bytes on standard output
 *   ntfsfs IMAGE batch [--read-only]   requests on standard input, answers on standard output (below)
 *
 * stat, walk, cat and batch --read-only mount the volume read-only (they never change the image);
 * batch mounts it read-write and unmounts it (writing everything) when its input ends.
 *
 * JSON entry: {"path":"a/b","type":"file|directory|other","size":N,"ctime":"FT","mtime":"FT",
 * "atime":"FT","attrs":N,"links":N,"id":"0x..."} — times are FILETIMEs (100 ns since 1601, as
 * decimal strings: they do not fit a double), attrs the DOS bits of STANDARD_INFORMATION
 * (readonly 1, hidden 2, system 4, archive 0x20), links the hard links (DOS 8.3 names are not
 * links), id the MFT reference (sequence number << 48 | record number). A reparse point (symbolic
 * link, junction, placeholder) is "other" and never followed. System files ($MFT …) are not listed.
 *
 * walk: the folder's entries (names sorted by UTF-16 code units), then each subfolder's, depth
 * first — a folder always before its contents.
 *
 * Names are UTF-8 ('/' or '\' separated paths, relative to the root); lookups ignore case as
 * Windows does (an exact match wins), new names keep the given case.
 *
 * batch requests, one line each, fields separated by TAB:
 *   stat PATH | walk PATH | list PATH | cat PATH | mkdir PATH | remove PATH | link EXISTING NEW
 *   meta PATH CTIME MTIME ATIME ATTRS          ('-' leaves a field as it is)
 *   write PATH CTIME MTIME ATIME ATTRS         then chunks: a line with a byte count N, N bytes,
 *                                              …, a line "0" (end) or "-1" (the sender gave up)
 * answers:
 *   stat: "ok\t{json}" or "none";  walk, list: "e\t{json}" lines then "ok";  mkdir: "ok\t/Stored/Path";
 *   cat: "d\tN" lines each followed by N bytes, then "ok";  the others: "ok";
 *   any failure: "err\tKIND\tmessage" with KIND not-found | not-a-directory | not-a-file |
 *   invalid-path | io (a failed cat or walk may have sent part of its answer before it).
 * write replaces an existing file's data in place (its hard links see it), clears readonly unless
 * ATTRS says otherwise, and sets the modification time to now unless MTIME is given.
 *
 * Exit codes: 0 done; 1 usage; 2 the volume could not be opened or closed; 3 not found; 4 wrong
 * kind (a file where a folder is needed or the reverse); 5 another failure.
 *
 * Build (scripts/system-packages.sh does it into .tmp/native/ntfsfs), with the flags of ntfsmkdir.c.
 */
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/logging.h>

#define DOS_ATTRS (FILE_ATTR_READONLY | FILE_ATTR_HIDDEN | FILE_ATTR_SYSTEM | FILE_ATTR_ARCHIVE)
#define CHUNK (1 << 20)

enum { K_OK = 0, K_NOT_FOUND, K_NOT_DIR, K_NOT_FILE, K_INVALID, K_IO };
static const char *KIND_NAMES[] = {"ok", "not-found", "not-a-directory", "not-a-file", "invalid-path", "io"};
static const int KIND_EXIT[] = {0, 3, 4, 4, 1, 5};

static ntfs_volume *vol;
static const char *image;
static FILE *out;
static int batch_mode;
static int read_only;
/* The failure of the current request: its kind and message. */
static int err_kind;
static char err_msg[2048];

static int fail(int kind, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof err_msg, fmt, ap);
	va_end(ap);
	err_kind = kind;
	return -1;
}

static int is_dir(ntfs_inode *ni) { return (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) != 0; }
static int is_reparse(ntfs_inode *ni) { return (ni->flags & FILE_ATTR_REPARSE_POINT) != 0; }

/* ---- paths ---------------------------------------------------------------------------------- */

#define MAX_PARTS 1024
struct path {
	char *buf;
	char *parts[MAX_PARTS];
	int n;
};

/* Splits `p` into components ('/' and '\' separate; '' and '.' dropped; '..' refused). */
static int split(const char *p, struct path *sp) {
	sp->n = 0;
	sp->buf = strdup(p);
	if (!sp->buf) return fail(K_IO, "out of memory");
	for (char *c = sp->buf; *c; c++)
		if (*c == '\\') *c = '/';
	char *save = NULL;
	for (char *t = strtok_r(sp->buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (strcmp(t, ".") == 0) continue;
		if (strcmp(t, "..") == 0 || sp->n == MAX_PARTS) {
			if (strcmp(t, "..") == 0) fail(K_INVALID, "'..' is not allowed in %s", p);
			else fail(K_INVALID, "%s is too deep", p);
			free(sp->buf); /* a failed split holds nothing */
			sp->buf = NULL;
			sp->n = 0;
			return -1;
		}
		sp->parts[sp->n++] = t;
	}
	return 0;
}

static void free_path(struct path *sp) { free(sp->buf); sp->buf = NULL; }

static int to_ucs(const char *name, ntfschar **u) {
	*u = NULL;
	int len = ntfs_mbstoucs(name, u);
	if (len <= 0 || len > 255) {
		free(*u);
		*u = NULL;
		return fail(K_INVALID, "the name '%s' cannot be stored in NTFS (not UTF-8, or longer than 255 UTF-16 units)", name);
	}
	return len;
}

/* The child `name` of the open directory `dir`, opened; NULL with err set when absent. */
static ntfs_inode *open_child(ntfs_inode *dir, const char *name, const char *path) {
	ntfschar *u;
	int len = to_ucs(name, &u);
	if (len < 0) return NULL;
	u64 mref = ntfs_inode_lookup_by_name(dir, u, len);
	int e = errno;
	free(u);
	if (mref == (u64)-1) {
		if (e == ENOENT) fail(K_NOT_FOUND, "%s does not exist", path);
		else fail(K_IO, "cannot look up '%s' in %s: %s", name, path, strerror(e));
		return NULL;
	}
	ntfs_inode *ni = ntfs_inode_open(vol, MREF(mref));
	if (!ni) fail(K_IO, "cannot open '%s' in %s: %s", name, path, strerror(errno));
	return ni;
}

/*
 * Opens the inode at the first `n` components of `sp` (the root for 0). NULL with err set:
 * not-found when a component is missing, not-a-directory when one on the way is a file.
 */
static ntfs_inode *open_parts(struct path *sp, int n, const char *path) {
	ntfs_inode *ni = ntfs_inode_open(vol, FILE_root);
	if (!ni) {
		fail(K_IO, "cannot open the root directory: %s", strerror(errno));
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		if (!is_dir(ni) || is_reparse(ni)) {
			ntfs_inode_close(ni);
			fail(K_NOT_DIR, "a component of %s is not a folder", path);
			return NULL;
		}
		ntfs_inode *child = open_child(ni, sp->parts[i], path);
		ntfs_inode_close(ni);
		if (!child) return NULL;
		ni = child;
	}
	return ni;
}

/* The name `ni` has in directory `parent_no` (not the DOS one) as UTF-8, or NULL. */
static char *stored_name(ntfs_inode *ni, u64 parent_no, const char *want) {
	char *found = NULL;
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx) return NULL;
	while (!ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		const FILE_NAME_ATTR *fn = (const FILE_NAME_ATTR *)((const u8 *)ctx->attr + le16_to_cpu(ctx->attr->value_offset));
		if (MREF_LE(fn->parent_directory) != parent_no || fn->file_name_type == FILE_NAME_DOS) continue;
		ntfschar *ucs = malloc(fn->file_name_length * sizeof(ntfschar) + 2);
		char *name = NULL;
		if (ucs) {
			memcpy(ucs, (const u8 *)fn + offsetof(FILE_NAME_ATTR, file_name), fn->file_name_length * sizeof(ntfschar));
			if (ntfs_ucstombs(ucs, fn->file_name_length, &name, 0) < 0) name = NULL;
			free(ucs);
		}
		if (!name) continue;
		/* A file with hard links in one folder: the name that was asked for, regardless of case. */
		if (!found || strcmp(name, want) == 0 || (strcasecmp(name, want) == 0 && strcasecmp(found, want) != 0)) {
			free(found);
			found = name;
		} else {
			free(name);
		}
	}
	ntfs_attr_put_search_ctx(ctx);
	return found;
}

/* ---- output --------------------------------------------------------------------------------- */

static void json_string(const char *s) {
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
		else if (*p < 0x20) fprintf(out, "\\u%04x", *p);
		else fputc(*p, out);
	}
	fputc('"', out);
}

static int count_links(ntfs_inode *ni) {
	int n = 0;
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx) return 1;
	while (!ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		const FILE_NAME_ATTR *fn = (const FILE_NAME_ATTR *)((const u8 *)ctx->attr + le16_to_cpu(ctx->attr->value_offset));
		if (fn->file_name_type != FILE_NAME_DOS) n++;
	}
	ntfs_attr_put_search_ctx(ctx);
	return n > 0 ? n : 1;
}

static void print_meta(const char *prefix, const char *path, ntfs_inode *ni) {
	const char *type = is_reparse(ni) ? "other" : is_dir(ni) ? "directory" : "file";
	long long size = (!is_reparse(ni) && !is_dir(ni)) ? (long long)ni->data_size : 0;
	unsigned long long id = ((unsigned long long)le16_to_cpu(ni->mrec->sequence_number) << 48) | (unsigned long long)ni->mft_no;
	fputs(prefix, out);
	fputs("{\"path\":", out);
	json_string(path);
	fprintf(out, ",\"type\":\"%s\",\"size\":%lld,\"ctime\":\"%lld\",\"mtime\":\"%lld\",\"atime\":\"%lld\",\"attrs\":%u,\"links\":%d,\"id\":\"0x%016llx\"}\n",
		type, size, (long long)sle64_to_cpu(ni->creation_time), (long long)sle64_to_cpu(ni->last_data_change_time),
		(long long)sle64_to_cpu(ni->last_access_time), (unsigned)(le32_to_cpu(ni->flags) & DOS_ATTRS), count_links(ni), id);
}

/* The canonical path of the first `n` components, as stored ('' for the root). */
static char *canonical(struct path *sp, int n, const char *path) {
	size_t cap = 1, len = 0;
	char *buf = calloc(1, 1);
	ntfs_inode *dir = ntfs_inode_open(vol, FILE_root);
	if (!buf || !dir) {
		free(buf);
		if (dir) ntfs_inode_close(dir);
		fail(K_IO, "cannot open the root directory");
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		ntfs_inode *child = open_child(dir, sp->parts[i], path);
		if (!child) {
			ntfs_inode_close(dir);
			free(buf);
			return NULL;
		}
		char *name = stored_name(child, dir->mft_no, sp->parts[i]);
		const char *use = name ? name : sp->parts[i];
		size_t add = strlen(use) + 1;
		char *grown = realloc(buf, cap + add);
		if (!grown) break;
		buf = grown;
		cap += add;
		if (len) buf[len++] = '/';
		memcpy(buf + len, use, strlen(use) + 1);
		len += strlen(use);
		free(name);
		ntfs_inode_close(dir);
		dir = child;
	}
	ntfs_inode_close(dir);
	return buf;
}

/* ---- stat, walk, cat ------------------------------------------------------------------------- */

/* 1 printed, 0 absent, -1 failed. */
static int do_stat(const char *path) {
	struct path sp;
	if (split(path, &sp)) return -1;
	ntfs_inode *ni = open_parts(&sp, sp.n, path);
	if (!ni) {
		free_path(&sp);
		if (err_kind == K_NOT_FOUND || err_kind == K_NOT_DIR) return 0;
		return -1;
	}
	char *canon = canonical(&sp, sp.n, path);
	free_path(&sp);
	if (!canon) {
		ntfs_inode_close(ni);
		return -1;
	}
	print_meta(batch_mode ? "ok\t" : "", canon, ni);
	free(canon);
	ntfs_inode_close(ni);
	return 1;
}

struct dent {
	ntfschar *name;
	int len;
	MFT_REF mref;
};
struct dents {
	struct dent *v;
	int n, cap;
	int oom;
};

static int collect(void *ctx, const ntfschar *name, const int len, const int type, const s64 pos, const MFT_REF mref, const unsigned dt) {
	(void)pos;
	(void)dt;
	struct dents *d = ctx;
	if (MREF(mref) < FILE_first_user) return 0; /* system files, '.' of the root */
	if ((type & FILE_NAME_WIN32_AND_DOS) == FILE_NAME_DOS) return 0;
	if (len == 1 && le16_to_cpu(name[0]) == '.') return 0;
	if (len == 2 && le16_to_cpu(name[0]) == '.' && le16_to_cpu(name[1]) == '.') return 0;
	if (d->n == d->cap) {
		int cap = d->cap ? d->cap * 2 : 64;
		struct dent *v = realloc(d->v, cap * sizeof *v);
		if (!v) {
			d->oom = 1;
			return -1;
		}
		d->v = v;
		d->cap = cap;
	}
	ntfschar *copy = malloc(len * sizeof(ntfschar));
	if (!copy) {
		d->oom = 1;
		return -1;
	}
	memcpy(copy, name, len * sizeof(ntfschar));
	d->v[d->n++] = (struct dent){copy, len, mref};
	return 0;
}

/* JavaScript's default sort: UTF-16 code units. */
static int cmp_dent(const void *a, const void *b) {
	const struct dent *x = a, *y = b;
	int n = x->len < y->len ? x->len : y->len;
	for (int i = 0; i < n; i++) {
		int cx = le16_to_cpu(x->name[i]), cy = le16_to_cpu(y->name[i]);
		if (cx != cy) return cx - cy;
	}
	return x->len - y->len;
}

static void free_dents(struct dents *d) {
	for (int i = 0; i < d->n; i++) free(d->v[i].name);
	free(d->v);
}

static int list_dir(ntfs_inode *dir, struct dents *d, const char *path) {
	memset(d, 0, sizeof *d);
	s64 pos = 0;
	if (ntfs_readdir(dir, &pos, d, collect) || d->oom) {
		int e = errno;
		free_dents(d);
		return fail(K_IO, "cannot read the folder %s: %s", path[0] ? path : "(root)", d->oom ? "out of memory" : strerror(e));
	}
	if (d->n > 1) qsort(d->v, d->n, sizeof *d->v, cmp_dent);
	return 0;
}

struct frame {
	char *path;
	u64 mft_no;
};

static int do_walk(const char *path) {
	struct path sp;
	if (split(path, &sp)) return -1;
	ntfs_inode *top = open_parts(&sp, sp.n, path);
	if (!top) {
		free_path(&sp);
		return -1;
	}
	if (!is_dir(top) || is_reparse(top)) {
		ntfs_inode_close(top);
		free_path(&sp);
		return fail(K_NOT_DIR, "%s is not a folder", path);
	}
	u64 top_no = top->mft_no;
	ntfs_inode_close(top);
	char *canon = canonical(&sp, sp.n, path);
	free_path(&sp);
	if (!canon) return -1;

	size_t cap = 64, n = 0;
	struct frame *stack = malloc(cap * sizeof *stack);
	if (!stack) return fail(K_IO, "out of memory");
	stack[n++] = (struct frame){canon, top_no};
	int rc = 0;
	while (n > 0 && rc == 0) {
		struct frame f = stack[--n];
		ntfs_inode *dir = ntfs_inode_open(vol, f.mft_no);
		struct dents d;
		if (!dir) rc = fail(K_IO, "cannot open the folder %s: %s", f.path, strerror(errno));
		else {
			rc = list_dir(dir, &d, f.path);
			ntfs_inode_close(dir);
		}
		if (rc) {
			free(f.path);
			break;
		}
		size_t first_sub = n;
		for (int i = 0; i < d.n && rc == 0; i++) {
			char *name = NULL;
			if (ntfs_ucstombs(d.v[i].name, d.v[i].len, &name, 0) < 0) {
				rc = fail(K_IO, "a name in %s (MFT record %llu) cannot be converted to UTF-8", f.path, (unsigned long long)MREF(d.v[i].mref));
				break;
			}
			size_t plen = strlen(f.path) + strlen(name) + 2;
			char *child = malloc(plen);
			if (!child) {
				free(name);
				rc = fail(K_IO, "out of memory");
				break;
			}
			snprintf(child, plen, "%s%s%s", f.path, f.path[0] ? "/" : "", name);
			free(name);
			ntfs_inode *ni = ntfs_inode_open(vol, MREF(d.v[i].mref));
			if (!ni) {
				rc = fail(K_IO, "cannot open %s: %s", child, strerror(errno));
				free(child);
				break;
			}
			print_meta(batch_mode ? "e\t" : "", child, ni);
			int descend = is_dir(ni) && !is_reparse(ni);
			u64 no = ni->mft_no;
			ntfs_inode_close(ni);
			if (!descend) {
				free(child);
				continue;
			}
			if (n == cap) {
				cap *= 2;
				struct frame *grown = realloc(stack, cap * sizeof *stack);
				if (!grown) {
					free(child);
					rc = fail(K_IO, "out of memory");
					break;
				}
				stack = grown;
			}
			stack[n++] = (struct frame){child, no};
		}
		free_dents(&d);
		free(f.path);
		/* Subfolders were pushed in order; reverse them so the first is walked first. */
		for (size_t a = first_sub, b = n ? n - 1 : 0; a < b && n > 0; a++, b--) {
			struct frame t = stack[a];
			stack[a] = stack[b];
			stack[b] = t;
		}
	}
	while (n > 0) free(stack[--n].path);
	free(stack);
	return rc;
}

/* The entries of one folder (what walk gives for its first level). */
static int do_list(const char *path) {
	struct path sp;
	if (split(path, &sp)) return -1;
	ntfs_inode *dir = open_parts(&sp, sp.n, path);
	if (!dir) {
		free_path(&sp);
		return -1;
	}
	if (!is_dir(dir) || is_reparse(dir)) {
		ntfs_inode_close(dir);
		free_path(&sp);
		return fail(K_NOT_DIR, "%s is not a folder", path);
	}
	struct dents d;
	int rc = list_dir(dir, &d, path);
	ntfs_inode_close(dir);
	char *canon = rc ? NULL : canonical(&sp, sp.n, path);
	free_path(&sp);
	if (rc) return -1;
	if (!canon) {
		free_dents(&d);
		return -1;
	}
	for (int i = 0; i < d.n && rc == 0; i++) {
		char *name = NULL;
		if (ntfs_ucstombs(d.v[i].name, d.v[i].len, &name, 0) < 0) {
			rc = fail(K_IO, "a name in %s (MFT record %llu) cannot be converted to UTF-8", path, (unsigned long long)MREF(d.v[i].mref));
			break;
		}
		size_t plen = strlen(canon) + strlen(name) + 2;
		char *child = malloc(plen);
		ntfs_inode *ni = child ? ntfs_inode_open(vol, MREF(d.v[i].mref)) : NULL;
		if (!ni) rc = fail(K_IO, "cannot open '%s' in %s: %s", name, path, child ? strerror(errno) : "out of memory");
		else {
			snprintf(child, plen, "%s%s%s", canon, canon[0] ? "/" : "", name);
			print_meta(batch_mode ? "e\t" : "", child, ni);
			ntfs_inode_close(ni);
		}
		free(child);
		free(name);
	}
	free_dents(&d);
	free(canon);
	return rc;
}

static int do_cat(const char *path) {
	struct path sp;
	if (split(path, &sp)) return -1;
	ntfs_inode *ni = open_parts(&sp, sp.n, path);
	free_path(&sp);
	if (!ni) return -1;
	if (is_dir(ni) || is_reparse(ni)) {
		fail(K_NOT_FILE, "%s is %s, not a file", path, is_reparse(ni) ? "a reparse point" : "a folder");
		ntfs_inode_close(ni);
		return -1;
	}
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na) {
		int e = errno;
		ntfs_inode_close(ni);
		if (e == ENOENT) return 0; /* no data: an empty file */
		return fail(K_IO, "cannot open the data of %s: %s", path, strerror(e));
	}
	char *buf = malloc(CHUNK);
	int rc = buf ? 0 : fail(K_IO, "out of memory");
	for (s64 pos = 0; rc == 0 && pos < na->data_size;) {
		s64 want = na->data_size - pos < CHUNK ? na->data_size - pos : CHUNK;
		s64 got = ntfs_attr_pread(na, pos, want, buf);
		if (got <= 0) {
			rc = fail(K_IO, "cannot read %s at byte %lld: %s", path, (long long)pos, got < 0 ? strerror(errno) : "unexpected end");
			break;
		}
		if (batch_mode) fprintf(out, "d\t%lld\n", (long long)got);
		if (fwrite(buf, 1, got, out) != (size_t)got) {
			rc = fail(K_IO, "cannot write %s to the output: %s", path, strerror(errno));
			break;
		}
		pos += got;
	}
	free(buf);
	ntfs_attr_close(na);
	ntfs_inode_close(ni);
	return rc;
}

/* ---- changes (batch) ------------------------------------------------------------------------ */

/* mkdir -p of the first `n` components; returns the last folder, open. */
static ntfs_inode *mkdirs(struct path *sp, int n, const char *path) {
	ntfs_inode *dir = ntfs_inode_open(vol, FILE_root);
	if (!dir) {
		fail(K_IO, "cannot open the root directory: %s", strerror(errno));
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		ntfschar *u;
		int len = to_ucs(sp->parts[i], &u);
		if (len < 0) {
			ntfs_inode_close(dir);
			return NULL;
		}
		ntfs_inode *child = NULL;
		u64 mref = ntfs_inode_lookup_by_name(dir, u, len);
		if (mref != (u64)-1) {
			child = ntfs_inode_open(vol, MREF(mref));
			if (!child) fail(K_IO, "cannot open '%s' in %s: %s", sp->parts[i], path, strerror(errno));
			else if (!is_dir(child) || is_reparse(child)) {
				fail(K_NOT_DIR, "cannot create the folder %s: '%s' is in the way and is not a folder", path, sp->parts[i]);
				ntfs_inode_close(child);
				child = NULL;
			}
		} else if (errno != ENOENT) {
			fail(K_IO, "cannot look up '%s' in %s: %s", sp->parts[i], path, strerror(errno));
		} else {
			child = ntfs_create(dir, const_cpu_to_le32(0), u, (u8)len, S_IFDIR);
			if (!child) fail(K_IO, "cannot create '%s' in %s: %s", sp->parts[i], path, strerror(errno));
		}
		free(u);
		ntfs_inode_close(dir);
		if (!child) return NULL;
		dir = child;
	}
	return dir;
}

static int parse_time(const char *s, int *given, s64 *t) {
	*given = 0;
	if (strcmp(s, "-") == 0) return 0;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s) return fail(K_INVALID, "bad time '%s' (a FILETIME in decimal, or -)", s);
	*given = 1;
	*t = v;
	return 0;
}

struct meta {
	int has_c, has_m, has_a, has_attrs;
	s64 c, m, a;
	u32 attrs;
};

static int parse_meta(char **f, struct meta *m) {
	if (parse_time(f[0], &m->has_c, &m->c) || parse_time(f[1], &m->has_m, &m->m) || parse_time(f[2], &m->has_a, &m->a)) return -1;
	m->has_attrs = 0;
	if (strcmp(f[3], "-") != 0) {
		char *end;
		unsigned long v = strtoul(f[3], &end, 10);
		if (*end || end == f[3] || (v & ~(unsigned long)DOS_ATTRS)) return fail(K_INVALID, "bad attributes '%s'", f[3]);
		m->has_attrs = 1;
		m->attrs = (u32)v;
	}
	return 0;
}

/*
 * Sets times and DOS attributes through the inode, so ntfs_inode_close writes them to
 * STANDARD_INFORMATION and the folder index entries alike; the FILE_NAME attributes of the MFT
 * record get them too (as ntfs_inode_set_times does), so tools that show those (ntfsls -l) agree.
 */
static void apply_meta(ntfs_inode *ni, const struct meta *m) {
	if (m->has_c) ni->creation_time = cpu_to_sle64(m->c);
	if (m->has_m) ni->last_data_change_time = cpu_to_sle64(m->m);
	if (m->has_a) ni->last_access_time = cpu_to_sle64(m->a);
	if (m->has_attrs) ni->flags = cpu_to_le32((le32_to_cpu(ni->flags) & ~(u32)DOS_ATTRS) | m->attrs);
	ni->last_mft_change_time = ntfs_current_time();
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (ctx) {
		while (!ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
			FILE_NAME_ATTR *fn = (FILE_NAME_ATTR *)((u8 *)ctx->attr + le16_to_cpu(ctx->attr->value_offset));
			fn->creation_time = ni->creation_time;
			fn->last_data_change_time = ni->last_data_change_time;
			fn->last_mft_change_time = ni->last_mft_change_time;
			fn->last_access_time = ni->last_access_time;
			fn->file_attributes = (fn->file_attributes & ~cpu_to_le32(DOS_ATTRS)) | (ni->flags & cpu_to_le32(DOS_ATTRS));
			ntfs_inode_mark_dirty(ctx->ntfs_ino);
		}
		ntfs_attr_put_search_ctx(ctx);
	}
	NInoFileNameSetDirty(ni);
	ntfs_inode_mark_dirty(ni);
}

static int do_meta(const char *path, struct meta *m) {
	struct path sp;
	if (split(path, &sp)) return -1;
	ntfs_inode *ni = open_parts(&sp, sp.n, path);
	free_path(&sp);
	if (!ni) return -1;
	apply_meta(ni, m);
	if (ntfs_inode_close(ni)) return fail(K_IO, "cannot write the metadata of %s: %s", path, strerror(errno));
	return 0;
}

static int do_mkdir(const char *path) {
	struct path sp;
	if (split(path, &sp)) return -1;
	ntfs_inode *dir = mkdirs(&sp, sp.n, path);
	if (!dir) {
		free_path(&sp);
		return -1;
	}
	ntfs_inode_close(dir);
	char *canon = canonical(&sp, sp.n, path);
	free_path(&sp);
	if (!canon) return -1;
	fprintf(out, "ok\t/%s\n", canon);
	free(canon);
	return 0;
}

/* Reads a chunk-length line from stdin: N >= 0, -1 (given up), or -2 on a broken stream. */
static long long read_len(void) {
	char line[64];
	if (!fgets(line, sizeof line, stdin)) return -2;
	char *end;
	long long n = strtoll(line, &end, 10);
	if (end == line || (*end != '\n' && *end != 0) || n < -1 || n > 64 * CHUNK) return -2;
	return n;
}

/* Reads and drops the rest of a write's chunks. 0, or -2 on a broken stream. */
static int drain(char *buf) {
	for (;;) {
		long long n = read_len();
		if (n == -2) return -2;
		if (n <= 0) return 0;
		while (n > 0) {
			size_t got = fread(buf, 1, n < CHUNK ? n : CHUNK, stdin);
			if (got == 0) return -2;
			n -= got;
		}
	}
}

/* 0 done, -1 failed (chunks consumed), -2 the input broke. */
static int do_write(const char *path, struct meta *m, char *buf) {
	struct path sp;
	ntfs_inode *dir = NULL, *ni = NULL;
	ntfs_attr *na = NULL;
	int replaced = 0;
	if (split(path, &sp)) goto failed;
	if (sp.n == 0) {
		fail(K_NOT_FILE, "cannot write a file over the root");
		goto failed;
	}
	dir = mkdirs(&sp, sp.n - 1, path);
	if (!dir) goto failed;
	ntfschar *u;
	int len = to_ucs(sp.parts[sp.n - 1], &u);
	if (len < 0) goto failed;
	u64 mref = ntfs_inode_lookup_by_name(dir, u, len);
	if (mref != (u64)-1) {
		ni = ntfs_inode_open(vol, MREF(mref));
		if (!ni) fail(K_IO, "cannot open %s: %s", path, strerror(errno));
		else if (is_dir(ni) || is_reparse(ni)) {
			fail(K_NOT_FILE, "%s is %s; cannot write a file over it", path, is_dir(ni) ? "a folder" : "a reparse point");
			ntfs_inode_close(ni);
			ni = NULL;
		}
		replaced = 1;
	} else if (errno == ENOENT) {
		ni = ntfs_create(dir, const_cpu_to_le32(0), u, (u8)len, S_IFREG);
		if (!ni) fail(K_IO, "cannot create %s: %s", path, strerror(errno));
	} else {
		fail(K_IO, "cannot look up %s: %s", path, strerror(errno));
	}
	free(u);
	if (!ni) goto failed;
	na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na && errno == ENOENT && !ntfs_attr_add(ni, AT_DATA, AT_UNNAMED, 0, NULL, 0)) na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na) {
		fail(K_IO, "cannot open the data of %s: %s", path, strerror(errno));
		goto failed;
	}
	if (na->data_size && ntfs_attr_truncate(na, 0)) {
		fail(K_IO, "cannot truncate %s: %s", path, strerror(errno));
		goto failed;
	}
	s64 pos = 0;
	for (;;) {
		long long n = read_len();
		if (n == -2) goto broken;
		if (n == 0) break;
		if (n == -1) {
			fail(K_IO, "the writer of %s gave up after %lld bytes", path, (long long)pos);
			goto failed_drained;
		}
		while (n > 0) {
			size_t want = n < CHUNK ? n : CHUNK;
			size_t got = fread(buf, 1, want, stdin);
			if (got != want) goto broken;
			s64 put = ntfs_attr_pwrite(na, pos, got, buf);
			if (put != (s64)got) {
				fail(K_IO, "cannot write %s at byte %lld: %s", path, (long long)pos, put < 0 ? strerror(errno) : "short write");
				/* the rest of this chunk, then the other chunks */
				n -= got;
				while (n > 0) {
					size_t g = fread(buf, 1, n < CHUNK ? n : CHUNK, stdin);
					if (!g) goto broken;
					n -= g;
				}
				if (drain(buf)) goto broken;
				goto failed_drained;
			}
			pos += got;
			n -= got;
		}
	}
	if ((na->data_flags & ATTR_COMPRESSION_MASK) && ntfs_attr_pclose(na)) {
		fail(K_IO, "cannot finish the compressed data of %s: %s", path, strerror(errno));
		goto failed_drained;
	}
	ntfs_attr_close(na);
	na = NULL;
	/* The data changed now, unless told otherwise; a replaced read-only file becomes writable as
	 * a copy over it leaves it (unless the attributes are given). */
	ntfs_inode_update_times(ni, NTFS_UPDATE_MCTIME);
	if (replaced && !m->has_attrs) ni->flags &= ~FILE_ATTR_READONLY;
	apply_meta(ni, m);
	/*
	 * The folder first: closing the file updates its entry in every folder that holds a name of
	 * it, reading each folder afresh, so the folder must be written (its new entry) before.
	 */
	int rc = ntfs_inode_close(dir);
	dir = NULL;
	if (ntfs_inode_close(ni)) rc = -1;
	ni = NULL;
	free_path(&sp);
	if (rc) return fail(K_IO, "cannot write %s: %s", path, strerror(errno));
	return 0;

failed:
	if (drain(buf)) goto broken;
failed_drained:
	if (na) ntfs_attr_close(na);
	if (dir) ntfs_inode_close(dir);
	if (ni) ntfs_inode_close(ni);
	free_path(&sp);
	return -1;
broken:
	if (na) ntfs_attr_close(na);
	if (dir) ntfs_inode_close(dir);
	if (ni) ntfs_inode_close(ni);
	free_path(&sp);
	fail(K_IO, "the request stream broke while writing %s", path);
	return -2;
}

static int do_link(const char *existing, const char *newpath) {
	struct path a, b;
	ntfs_inode *ni = NULL, *dir = NULL;
	int rc = -1;
	memset(&b, 0, sizeof b);
	if (split(existing, &a)) return -1;
	if (split(newpath, &b)) goto out;
	ni = open_parts(&a, a.n, existing);
	if (!ni) goto out;
	if (is_dir(ni) || is_reparse(ni)) {
		fail(K_NOT_FILE, "%s is not a file; only files have hard links", existing);
		goto out;
	}
	if (b.n == 0) {
		fail(K_NOT_FILE, "cannot link over the root");
		goto out;
	}
	dir = mkdirs(&b, b.n - 1, newpath);
	if (!dir) goto out;
	ntfschar *u;
	int len = to_ucs(b.parts[b.n - 1], &u);
	if (len < 0) goto out;
	u64 mref = ntfs_inode_lookup_by_name(dir, u, len);
	if (mref != (u64)-1) {
		if (MREF(mref) == ni->mft_no) {
			free(u);
			rc = 0;
			goto out;
		}
		ntfs_inode *old = ntfs_inode_open(vol, MREF(mref));
		if (!old) {
			fail(K_IO, "cannot open %s: %s", newpath, strerror(errno));
			free(u);
			goto out;
		}
		if (is_dir(old)) {
			ntfs_inode_close(old);
			fail(K_NOT_FILE, "%s is a folder; cannot link over it", newpath);
			free(u);
			goto out;
		}
		u64 dir_no = dir->mft_no;
		/* ntfs_delete closes both inodes. */
		if (ntfs_delete(vol, NULL, old, dir, u, (u8)len)) {
			dir = NULL;
			fail(K_IO, "cannot replace %s: %s", newpath, strerror(errno));
			free(u);
			goto out;
		}
		dir = ntfs_inode_open(vol, dir_no);
		if (!dir) {
			fail(K_IO, "cannot reopen the folder of %s: %s", newpath, strerror(errno));
			free(u);
			goto out;
		}
	}
	if (ntfs_link(ni, dir, u, (u8)len)) fail(K_IO, "cannot link %s to %s: %s", newpath, existing, strerror(errno));
	else rc = 0;
	free(u);
out:
	/* The folder first (see do_write). */
	if (dir && ntfs_inode_close(dir) && rc == 0) rc = fail(K_IO, "cannot write the folder of %s: %s", newpath, strerror(errno));
	if (ni && ntfs_inode_close(ni) && rc == 0) rc = fail(K_IO, "cannot write %s: %s", existing, strerror(errno));
	free_path(&a);
	free_path(&b);
	return rc;
}

/* Deletes the entry `name` (stored spelling) of folder `dir_no`, and everything in it first. */
static int rm_tree(u64 dir_no, const ntfschar *name, int len, MFT_REF mref, const char *path) {
	ntfs_inode *ni = ntfs_inode_open(vol, MREF(mref));
	if (!ni) return fail(K_IO, "cannot open %s: %s", path, strerror(errno));
	if (is_dir(ni) && !is_reparse(ni)) {
		struct dents d;
		if (list_dir(ni, &d, path)) {
			ntfs_inode_close(ni);
			return -1;
		}
		u64 self = ni->mft_no;
		ntfs_inode_close(ni);
		for (int i = 0; i < d.n; i++) {
			if (rm_tree(self, d.v[i].name, d.v[i].len, d.v[i].mref, path)) {
				free_dents(&d);
				return -1;
			}
		}
		free_dents(&d);
		ni = ntfs_inode_open(vol, MREF(mref));
		if (!ni) return fail(K_IO, "cannot reopen %s: %s", path, strerror(errno));
	}
	ntfs_inode *dir = ntfs_inode_open(vol, dir_no);
	if (!dir) {
		ntfs_inode_close(ni);
		return fail(K_IO, "cannot open the folder of %s: %s", path, strerror(errno));
	}
	/* Both inodes are closed by ntfs_delete. */
	if (ntfs_delete(vol, NULL, ni, dir, name, (u8)len)) return fail(K_IO, "cannot delete in %s: %s", path, strerror(errno));
	return 0;
}

static int do_remove(const char *path) {
	struct path sp;
	if (split(path, &sp)) return -1;
	if (sp.n == 0) {
		free_path(&sp);
		return fail(K_NOT_FILE, "the root cannot be removed");
	}
	ntfs_inode *dir = open_parts(&sp, sp.n - 1, path);
	if (!dir) {
		free_path(&sp);
		return err_kind == K_NOT_FOUND || err_kind == K_NOT_DIR ? 0 : -1; /* nothing there */
	}
	if (!is_dir(dir) || is_reparse(dir)) {
		ntfs_inode_close(dir);
		free_path(&sp);
		return 0;
	}
	ntfschar *u;
	int len = to_ucs(sp.parts[sp.n - 1], &u);
	int rc = 0;
	if (len >= 0) {
		u64 mref = ntfs_inode_lookup_by_name(dir, u, len);
		if (mref == (u64)-1) {
			if (errno != ENOENT) rc = fail(K_IO, "cannot look up %s: %s", path, strerror(errno));
		} else {
			u64 dir_no = dir->mft_no;
			ntfs_inode_close(dir);
			dir = NULL;
			rc = rm_tree(dir_no, u, len, mref, path);
		}
		free(u);
	} else {
		rc = -1;
	}
	if (dir) ntfs_inode_close(dir);
	free_path(&sp);
	return rc;
}

/* ---- main ----------------------------------------------------------------------------------- */

static void answer(int rc) {
	if (rc < 0) fprintf(out, "err\t%s\t%s\n", KIND_NAMES[err_kind], err_msg);
	else fputs("ok\n", out);
}

static int batch(void) {
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	char *buf = malloc(CHUNK);
	if (!buf) return 5;
	int broken = 0;
	while (!broken && (got = getline(&line, &cap, stdin)) > 0) {
		if (line[got - 1] == '\n') line[--got] = 0;
		char *f[8];
		int nf = 0;
		/* strtok would merge empty fields; split by hand */
		for (char *p = line; nf < 8;) {
			f[nf++] = p;
			char *tab = strchr(p, '\t');
			if (!tab) break;
			*tab = 0;
			p = tab + 1;
		}
		err_kind = K_OK;
		const char *op = f[0];
		struct meta m;
		if (strcmp(op, "stat") == 0 && nf == 2) {
			int rc = do_stat(f[1]);
			if (rc == 0) fputs("none\n", out);
			else if (rc < 0) answer(-1);
		} else if (strcmp(op, "walk") == 0 && nf == 2) {
			answer(do_walk(f[1]));
		} else if (strcmp(op, "list") == 0 && nf == 2) {
			answer(do_list(f[1]));
		} else if (strcmp(op, "cat") == 0 && nf == 2) {
			answer(do_cat(f[1]));
		} else if (read_only && (strcmp(op, "mkdir") == 0 || strcmp(op, "remove") == 0 || strcmp(op, "link") == 0 || strcmp(op, "meta") == 0 || strcmp(op, "write") == 0)) {
			if (strcmp(op, "write") == 0 && drain(buf)) broken = 1;
			fprintf(out, "err\tio\t'%s' needs a read-write session (this one is --read-only)\n", op);
		} else if (strcmp(op, "mkdir") == 0 && nf == 2) {
			if (do_mkdir(f[1])) answer(-1);
		} else if (strcmp(op, "remove") == 0 && nf == 2) {
			answer(do_remove(f[1]));
		} else if (strcmp(op, "link") == 0 && nf == 3) {
			answer(do_link(f[1], f[2]));
		} else if (strcmp(op, "meta") == 0 && nf == 6) {
			answer(parse_meta(f + 2, &m) ? -1 : do_meta(f[1], &m));
		} else if (strcmp(op, "write") == 0 && nf == 6) {
			if (parse_meta(f + 2, &m)) {
				if (drain(buf)) broken = 1;
				answer(-1);
			} else {
				int rc = do_write(f[1], &m, buf);
				if (rc == -2) broken = 1;
				answer(rc);
			}
		} else {
			fprintf(out, "err\tinvalid-path\tunknown request '%s' with %d fields\n", op, nf);
		}
		fflush(out);
	}
	free(line);
	free(buf);
	if (broken) {
		fprintf(stderr, "ntfsfs: %s: the request stream broke in the middle of a write\n", image);
		return 5;
	}
	return 0;
}

int main(int argc, char **argv) {
	int is_batch = argc >= 3 && strcmp(argv[2], "batch") == 0;
	if (argc < 3 || (!is_batch && argc != 4) || (is_batch && argc > 4) || (is_batch && argc == 4 && strcmp(argv[3], "--read-only") != 0)) {
		fprintf(stderr, "usage: ntfsfs IMAGE stat|walk|cat PATH   or   ntfsfs IMAGE batch [--read-only]   (see native/ntfsfs.c)\n");
		return 1;
	}
	image = argv[1];
	out = stdout;
	const char *cmd = argv[2];
	batch_mode = is_batch;
	read_only = !is_batch || argc == 4;
	if (!batch_mode && strcmp(cmd, "stat") && strcmp(cmd, "walk") && strcmp(cmd, "cat")) {
		fprintf(stderr, "ntfsfs: unknown command '%s' (stat, walk, cat, batch)\n", cmd);
		return 1;
	}
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	ntfs_log_set_handler(ntfs_log_handler_stderr);
	ntfs_set_char_encoding("utf8");
	vol = ntfs_mount(image, read_only ? NTFS_MNT_RDONLY : NTFS_MNT_NONE);
	if (!vol) {
		fprintf(stderr, "ntfsfs: %s: cannot open the NTFS volume: %s\n", image, strerror(errno));
		return 2;
	}
	/* Windows semantics: names match regardless of case (an exact match wins). */
	NVolClearCaseSensitive(vol);

	int rc = 0;
	if (batch_mode) {
		rc = batch();
	} else {
		int r = strcmp(cmd, "stat") == 0 ? do_stat(argv[3]) : strcmp(cmd, "walk") == 0 ? do_walk(argv[3]) : do_cat(argv[3]);
		if (strcmp(cmd, "stat") == 0 && r == 0) {
			fprintf(stderr, "ntfsfs: %s: %s does not exist\n", image, argv[3]);
			rc = 3;
		} else if (r < 0) {
			fprintf(stderr, "ntfsfs: %s: %s\n", image, err_msg);
			rc = KIND_EXIT[err_kind];
		}
	}
	if (fflush(stdout) && rc == 0) rc = 5;
	if (ntfs_umount(vol, FALSE)) {
		fprintf(stderr, "ntfsfs: %s: closing the volume failed: %s\n", image, strerror(errno));
		if (rc == 0) rc = 2;
	}
	return rc;
}
