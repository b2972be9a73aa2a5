/*
 * ntfsmkdir IMAGE PATH... — `mkdir -p` inside an NTFS volume held in a plain file, via libntfs-3g.
 *
 * None of the stock ntfs-3g tools can create a directory, and ntfscp only writes into directories
 * that already exist (toolchain.md §3.3, §3.4). OpenOSD's NtfsVolume calls this helper before it
 * copies files into a partition image.
 *
 * - Each PATH is absolute inside the volume ('/' or '\' separated); every missing component is
 *   created, existing directories are kept (idempotent).
 * - Lookups are case-insensitive like Windows (an existing "Windows" satisfies "windows"), so the
 *   helper never makes two directories that differ only in case; new names keep the given case.
 * - For each PATH it prints one line: the path as stored ("/Windows/Panther" for "/windows/Panther"),
 *   since the stock tools match names created by ntfs-3g (POSIX namespace) case-sensitively.
 * - Names are UTF-8.
 * - Exit codes: 0 done; 1 usage; 2 the volume could not be opened; 3 a component exists and is not a
 *   directory, or could not be created (the message names it).
 *
 * Build (toolchain.md §3.4; scripts/system-packages.sh does it into .tmp/native/ntfsmkdir):
 *   gcc -O2 -DHAVE_STDDEF_H -DHAVE_STDARG_H -DHAVE_TIME_H -DHAVE_SYS_TYPES_H -DHAVE_STDIO_H \
 *       -DHAVE_STDLIB_H -DHAVE_STRING_H -DHAVE_SYS_STAT_H -o ntfsmkdir ntfsmkdir.c -lntfs-3g
 */
/* The ntfs-3g headers expect these to be included first (and HAVE_CONFIG_H to be undefined). */
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/logging.h>

static int is_dir(ntfs_inode *ni) {
	return (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) != 0;
}

/* The name `ni` has in directory `parent_no` (its Win32 or POSIX name, not the DOS 8.3 one), as UTF-8. */
static char *stored_name(ntfs_inode *ni, u64 parent_no) {
	char *out = NULL;
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx) return NULL;
	while (!ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		const FILE_NAME_ATTR *fn = (const FILE_NAME_ATTR *)((const u8 *)ctx->attr +
				le16_to_cpu(ctx->attr->value_offset));
		if (MREF_LE(fn->parent_directory) != parent_no || fn->file_name_type == FILE_NAME_DOS) continue;
		/* The attribute is packed: copy the name to aligned memory before converting it. */
		ntfschar *ucs = malloc(fn->file_name_length * sizeof(ntfschar) + 1);
		if (ucs) {
			memcpy(ucs, (const u8 *)fn + offsetof(FILE_NAME_ATTR, file_name), fn->file_name_length * sizeof(ntfschar));
			if (ntfs_ucstombs(ucs, fn->file_name_length, &out, 0) < 0) out = NULL;
			free(ucs);
		}
		break;
	}
	ntfs_attr_put_search_ctx(ctx);
	return out;
}

/* Appends "/name" to the growing canonical path `*buf`. */
static int append(char **buf, size_t *len, const char *name) {
	size_t n = strlen(name);
	char *grown = realloc(*buf, *len + n + 2);
	if (!grown) return -1;
	grown[*len] = '/';
	memcpy(grown + *len + 1, name, n + 1);
	*buf = grown;
	*len += n + 1;
	return 0;
}

/*
 * Creates every missing component of `path` below the root and prints the path as stored.
 * Returns 0 or an exit code.
 */
static int mkdir_p(ntfs_volume *vol, const char *image, const char *path) {
	char *canonical = NULL;
	size_t canonical_len = 0;
	char *copy = strdup(path);
	if (!copy) return 3;
	for (char *c = copy; *c; c++)
		if (*c == '\\') *c = '/';

	ntfs_inode *dir = ntfs_inode_open(vol, FILE_root);
	if (!dir) {
		fprintf(stderr, "ntfsmkdir: %s: cannot open the root directory: %s\n", image, strerror(errno));
		free(copy);
		return 2;
	}
	int rc = 0;
	char *save = NULL;
	for (char *name = strtok_r(copy, "/", &save); name; name = strtok_r(NULL, "/", &save)) {
		if (strcmp(name, ".") == 0) continue;
		if (strcmp(name, "..") == 0) {
			fprintf(stderr, "ntfsmkdir: %s: '..' is not allowed in %s\n", image, path);
			rc = 1;
			break;
		}
		ntfschar *uname = NULL;
		int ulen = ntfs_mbstoucs(name, &uname);
		if (ulen <= 0 || ulen > 255) {
			fprintf(stderr, "ntfsmkdir: %s: invalid name '%s' in %s\n", image, name, path);
			free(uname);
			rc = 3;
			break;
		}
		ntfs_inode *child = NULL;
		char *stored = NULL;
		u64 mref = ntfs_inode_lookup_by_name(dir, uname, ulen);
		if (mref != (u64)-1) {
			child = ntfs_inode_open(vol, MREF(mref));
			if (child) stored = stored_name(child, dir->mft_no);
			if (child && !is_dir(child)) {
				fprintf(stderr, "ntfsmkdir: %s: '%s' in %s exists and is not a directory\n", image, name, path);
				ntfs_inode_close(child);
				child = NULL;
				rc = 3;
			} else if (!child) {
				fprintf(stderr, "ntfsmkdir: %s: cannot open '%s' in %s: %s\n", image, name, path, strerror(errno));
				rc = 3;
			}
		} else if (errno != ENOENT) {
			fprintf(stderr, "ntfsmkdir: %s: cannot look up '%s' in %s: %s\n", image, name, path, strerror(errno));
			rc = 3;
		} else {
			child = ntfs_create(dir, const_cpu_to_le32(0), uname, (u8)ulen, S_IFDIR);
			if (!child) {
				fprintf(stderr, "ntfsmkdir: %s: cannot create '%s' in %s: %s\n", image, name, path, strerror(errno));
				rc = 3;
			}
		}
		free(uname);
		if (!rc && append(&canonical, &canonical_len, stored ? stored : name)) rc = 3;
		free(stored);
		if (rc) {
			if (child) ntfs_inode_close(child);
			break;
		}
		ntfs_inode_close(dir);
		dir = child;
	}
	ntfs_inode_close(dir);
	if (rc == 0) printf("%s\n", canonical ? canonical : "/");
	free(canonical);
	free(copy);
	return rc;
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: ntfsmkdir IMAGE PATH...   (mkdir -p inside the NTFS volume in IMAGE)\n");
		return 1;
	}
	ntfs_log_set_handler(ntfs_log_handler_stderr);
	ntfs_set_char_encoding("utf8");

	ntfs_volume *vol = ntfs_mount(argv[1], NTFS_MNT_NONE);
	if (!vol) {
		fprintf(stderr, "ntfsmkdir: %s: cannot open the NTFS volume: %s\n", argv[1], strerror(errno));
		return 2;
	}
	/* Windows semantics: match existing names regardless of case (see the header comment). */
	NVolClearCaseSensitive(vol);

	int rc = 0;
	for (int i = 2; i < argc && rc == 0; i++) rc = mkdir_p(vol, argv[1], argv[i]);

	if (ntfs_umount(vol, FALSE)) {
		fprintf(stderr, "ntfsmkdir: %s: closing the volume failed: %s\n", argv[1], strerror(errno));
		if (rc == 0) rc = 2;
	}
	return rc;
}
