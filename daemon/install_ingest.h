/*
 * install_ingest.h: ingest every wheel of an install request at once.
 *
 * The wheels are staged (read, hashed, written to temporaries, checked) on a
 * few threads, then, when every one staged, published together behind one
 * durability barrier (ingest_batch.h): a cold install of N wheels costs two
 * syncfs, not 2N. When a wheel fails, nothing of the request is published and
 * the wheel's error is kept for the install loop, which reports the errors in
 * request order, as if the wheels had been ingested one after another: the
 * threads claim wheels in order and stop claiming after the first failure, so
 * every wheel before a failed one was staged.
 */
#ifndef WHLC_INSTALL_INGEST_H
#define WHLC_INSTALL_INGEST_H

#include <stddef.h>

#include "err.h"
#include "ingest.h"
#include "install.h"

/* What ingesting the wheels of a request gave, per wheel. */
struct install_ingested {
	size_t n;
	struct ingest_result *res; /* the wheel's result when rc[i] == 0 */
	int *rc;		   /* 0, or the wheel's error (in err[i]) */
	struct err *err;
};

/*
 * Ingest o's wheels into g (always filled; free with install_ingested_free).
 * A wheel's own failure is in g; the return value is an error of the batch
 * (publishing: a sync, a link, a commit), which no wheel's order explains.
 */
int install_ingest_all(const struct install_env *env, const struct install_opts *o,
		       struct install_ingested *g, struct err *err);
/* Free the results still in g. */
void install_ingested_free(struct install_ingested *g);

#endif
