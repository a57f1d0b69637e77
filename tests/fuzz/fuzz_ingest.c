/*
 * fuzz_ingest.c: the whole ingestion path (zip checks, libarchive, hashing,
 * store temporaries, WHEEL/METADATA/RECORD checks, publish, catalog commit)
 * on a wheel file in a tmpfs directory (/dev/shm), with a real store and catalog.
 *
 * Input: "<file name>\n<wheel bytes>". Without a newline in the first 256
 * bytes, the whole input is the wheel and its name is pkg-1.0-py3-none-any.whl.
 *
 * After every input: no temporary is left in the store. After a successful
 * ingest the cache is recreated, so every input starts from an empty cache
 * (a failure must leave it empty: checked by the catalog's wheel count).
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/catalog.h"
#include "daemon/failpoint.h"
#include "daemon/ingest.h"
#include "daemon/store.h"
#include "fuzz.h"
#include "xalloc.h"

/* libFuzzer gives no context pointer: the harness keeps its cache here. */
static struct fuzz_cache {
	char dir[64];
	char *cache, *db;
	struct store s;
	struct catalog c;
	struct failpoint fp;
	struct ingest_ctx ix;
	int open;
} fz;

/* Remove dir and everything in it (the fuzz cache is small). */
static void fuzz__rm_rf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		abort();
	free(cmd);
}

/* Open a fresh, empty store and catalog under fz.cache. */
static void fuzz__open(void)
{
	struct err e;

	fuzz__rm_rf(fz.cache);
	if (store_open(&fz.s, fz.cache, NULL, &e) < 0 || catalog_open(&fz.c, fz.db, 2, &e) < 0) {
		fprintf(stderr, "fuzz_ingest: cannot open cache: %s\n", e.msg);
		abort();
	}
	failpoint_init(&fz.fp, NULL);
	ingest_ctx_init(&fz.ix, &fz.s, &fz.c, &fz.fp);
	fz.open = 1;
}

/* Close the cache. */
static void fuzz__close(void)
{
	if (!fz.open)
		return;
	catalog_close(&fz.c);
	store_close(&fz.s);
	failpoint_free(&fz.fp);
	fz.open = 0;
}

/* At exit: close and remove the private directory. */
static void fuzz__atexit(void)
{
	fuzz__close();
	fuzz__rm_rf(fz.dir);
	free(fz.cache);
	free(fz.db);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	snprintf(fz.dir, sizeof(fz.dir), "%s/whlc-fuzz-ingest-XXXXXX", base);
	if (mkdtemp(fz.dir) == NULL)
		abort();
	fz.cache = xasprintf("%s/cache", fz.dir);
	fz.db = xasprintf("%s/cache/catalog.db", fz.dir);
	fuzz__open();
	atexit(fuzz__atexit);
	return 0;
}

/* True when the store's temporary directory is empty. */
static int fuzz__tmp_empty(void)
{
	DIR *d = opendir(fz.s.tmp);
	struct dirent *de;
	int empty = 1;

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

/* nftw callback: stop at the first regular file. */
static int fuzz__is_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return flag == FTW_F;
}

/* True when the store holds no object file (objects/xx/ directories may exist). */
static int fuzz__no_objects(void)
{
	return nftw(fz.s.objects, fuzz__is_file, 8, FTW_PHYS) == 0;
}

/* Number of wheels in the catalog. */
static uint64_t fuzz__wheels(void)
{
	struct catalog_conn *cc;
	struct catalog_stats st;
	struct err e;

	if ((cc = catalog_acquire(&fz.c, &e)) == NULL || catalog_stats(cc, &st, &e) < 0)
		abort();
	catalog_release(&fz.c, cc);
	return st.wheels;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 256 ? size : 256);
	char name[300] = "pkg-1.0-py3-none-any.whl", *path;
	struct ingest_result res;
	struct err e;
	int fd, rc;

	if (nl && nl > data) {
		size_t n = (size_t)(nl - data);

		memcpy(name, data, n);
		name[n] = '\0';
		for (size_t i = 0; i < n; i++)
			if (name[i] == '/' || name[i] == '\0')
				name[i] = '_';
		size -= n + 1;
		data = nl + 1;
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	path = xasprintf("%s/%s", fz.dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	rc = ingest_wheel(&fz.ix, path, &res, &e);
	unlink(path);
	free(path);
	if (getenv("WHLC_FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz_ingest: %s: %s\n", name, rc < 0 ? e.msg : "ingested");
	if (!fuzz__tmp_empty()) {
		fprintf(stderr, "fuzz_ingest: temporaries left in %s (rc %d)\n", fz.s.tmp, rc);
		abort();
	}
	if (rc < 0) {
		if (fuzz__wheels() != 0 || !fuzz__no_objects()) {
			fprintf(stderr, "fuzz_ingest: failed ingest left a wheel or objects: %s\n",
				e.msg);
			abort();
		}
		return 0;
	}
	ingest_result_free(&res);
	fuzz__close();
	fuzz__open();
	return 0;
}
