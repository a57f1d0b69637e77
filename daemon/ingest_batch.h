/*
 * ingest_batch.h: ingest the wheels of one request with one durability barrier.
 *
 * ingest_wheel() makes each wheel durable on its own: two syncfs per new
 * wheel. A batch stages every wheel first (steps 1-4 of ingest.h: read,
 * hash, write temporaries, check; a hit is done at once), possibly on several
 * threads, then ingest_batch_publish() does step 5 once for all of them:
 * one syncfs for every temporary, link every object, one syncfs, then each
 * wheel's catalog transaction. The invariants of ingest_publish.c hold for
 * the batch as a whole: no object name before the first sync, no catalog row
 * before the second. The failure points ingest-before-publish and
 * ingest-before-commit are hit once per batch.
 *
 * A batch registers one store writer (store_writer_begin) for its lifetime,
 * so `cache verify` never mistakes its temporaries or uncommitted objects for
 * leftovers. Freeing a batch discards every temporary not published.
 *
 * Thread safety: ingest_batch_stage*() may run concurrently for distinct
 * slots; ingest_batch_publish() and ingest_batch_free() run alone.
 */
#ifndef WHLC_INGEST_BATCH_H
#define WHLC_INGEST_BATCH_H

#include <stddef.h>

#include "err.h"
#include "ingest.h"

struct ingest_batch;

/* A batch of n slots over ix. */
struct ingest_batch *ingest_batch_new(const struct ingest_ctx *ix, size_t n);
/*
 * Steps 1-4 for the wheel open on fd into slot i (see ingest_wheel_fd: same
 * flags, same errors, res filled; a cached wheel is a complete hit). A new
 * wheel's res->wheel.id is 0 until ingest_batch_publish succeeds. fd is not
 * used after the call returns.
 */
int ingest_batch_stage_fd(struct ingest_batch *b, size_t i, int fd, const char *path,
			  unsigned flags, struct ingest_result *res, struct err *err);
/* The same for the wheel at path. */
int ingest_batch_stage(struct ingest_batch *b, size_t i, const char *path,
		       struct ingest_result *res, struct err *err);
/* The number of staged wheels waiting for ingest_batch_publish (hits excluded). */
size_t ingest_batch_pending(const struct ingest_batch *b);
/*
 * Step 5 for every staged wheel (see above). On error the message names the
 * wheel whose objects or catalog rows failed; wheels committed before it stay.
 */
int ingest_batch_publish(struct ingest_batch *b, struct err *err);
/* Discard what was not published and release the batch (NULL: nothing). */
void ingest_batch_free(struct ingest_batch *b);

#endif
