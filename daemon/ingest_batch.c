/* ingest_batch.c: stage the wheels of a request, then publish them behind one barrier. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest_batch.h"
#include "ingest_int.h"
#include "xalloc.h"

struct ingest_batch {
	const struct ingest_ctx *ix;
	size_t n;
	struct ingest__job **jobs; /* per slot: staged and not yet published, else NULL */
	char **paths;		   /* per slot: the job's own copy of its path */
	uint64_t writer;	   /* store_writer_begin token */
};

/* A batch of n slots over ix. */
struct ingest_batch *ingest_batch_new(const struct ingest_ctx *ix, size_t n)
{
	struct ingest_batch *b = xcalloc(1, sizeof(*b));

	b->ix = ix;
	b->n = n;
	b->jobs = xcalloc(n ? n : 1, sizeof(*b->jobs));
	b->paths = xcalloc(n ? n : 1, sizeof(*b->paths));
	/* Registered before any temporary of the batch exists (store_tmp_in_flight). */
	b->writer = store_writer_begin(ix->store);
	return b;
}

/* Steps 1-4 for the wheel open on fd into slot i. */
int ingest_batch_stage_fd(struct ingest_batch *b, size_t i, int fd, const char *path,
			  unsigned flags, struct ingest_result *res, struct err *err)
{
	struct ingest__job *j;
	int ret;

	if (i >= b->n || b->jobs[i] != NULL) {
		memset(res, 0, sizeof(*res));
		return err_set(err, -EINVAL, "%s: no free slot %zu in the batch", path, i);
	}
	j = xmalloc(sizeof(*j));
	free(b->paths[i]);
	b->paths[i] = xstrdup(path);
	ingest__job_init(j, b->ix, fd, b->paths[i], flags, res);
	j->cc = catalog_acquire(b->ix->catalog, err);
	if (j->cc == NULL) {
		ret = err->code ? err->code : -WHLC_ECORRUPT;
		goto fail;
	}
	ret = ingest__stage(j, err);
	/* Never hold a connection across the batch: the pool is shared with every request. */
	catalog_release(b->ix->catalog, j->cc);
	j->cc = NULL;
	if (ret < 0) {
		ingest__fail_msg(b->ix, j->base, ret, err);
		goto fail;
	}
	j->fd = -1;
	if (ret > 0) { /* a hit: nothing to publish */
		ingest__job_free(j);
		free(j);
		return 0;
	}
	ingest__job_trim(j);
	b->jobs[i] = j;
	return 0;
fail:
	ingest__job_free(j);
	free(j);
	ingest_result_free(res);
	return ret;
}

/* The same for the wheel at path. */
int ingest_batch_stage(struct ingest_batch *b, size_t i, const char *path,
		       struct ingest_result *res, struct err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0) {
		memset(res, 0, sizeof(*res));
		return err_set(err, -errno, "%s: cannot open: %s", path, strerror(errno));
	}
	ret = ingest_batch_stage_fd(b, i, fd, path, 0, res, err);
	close(fd);
	return ret;
}

/* The number of staged wheels waiting for ingest_batch_publish. */
size_t ingest_batch_pending(const struct ingest_batch *b)
{
	size_t k = 0;

	for (size_t i = 0; i < b->n; i++)
		k += b->jobs[i] != NULL;
	return k;
}

/* Step 5 for every staged wheel: one barrier for all, then each catalog transaction. */
int ingest_batch_publish(struct ingest_batch *b, struct err *err)
{
	struct ingest__job **js = xcalloc(b->n ? b->n : 1, sizeof(*js));
	struct catalog_conn *cc = NULL;
	size_t k = 0, failed = 0;
	int ret = 0;

	for (size_t i = 0; i < b->n; i++)
		if (b->jobs[i])
			js[k++] = b->jobs[i];
	if (k == 0)
		goto out;
	cc = catalog_acquire(b->ix->catalog, err);
	if (cc == NULL) {
		ret = err->code ? err->code : -WHLC_ECORRUPT;
		goto out;
	}
	for (size_t i = 0; i < k; i++)
		js[i]->cc = cc;
	ret = ingest__publish_jobs(b->ix, js, k, &failed, err);
	for (size_t i = 0; i < k; i++)
		js[i]->cc = NULL;
	catalog_release(b->ix->catalog, cc);
	if (ret < 0) {
		if (failed < k)
			ingest__fail_msg(b->ix, js[failed]->base, ret, err);
		else if (k == 1)
			ingest__fail_msg(b->ix, js[0]->base, ret, err);
		else
			ingest__fail_msg(b->ix, "adding the wheels to the cache", ret, err);
		goto out;
	}
	for (size_t i = 0; i < b->n; i++)
		if (b->jobs[i]) {
			ingest__job_free(b->jobs[i]);
			free(b->jobs[i]);
			b->jobs[i] = NULL;
		}
out:
	free(js);
	return ret;
}

/* Discard what was not published and release the batch. */
void ingest_batch_free(struct ingest_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++) {
		if (b->jobs[i]) {
			ingest__job_free(b->jobs[i]);
			free(b->jobs[i]);
		}
		free(b->paths[i]);
	}
	store_writer_end(b->ix->store, b->writer);
	free(b->jobs);
	free(b->paths);
	free(b);
}
