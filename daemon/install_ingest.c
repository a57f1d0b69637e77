/* install_ingest.c: the wheels of an install request, staged in parallel, published together. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ident.h"
#include "ingest_batch.h"
#include "install_ingest.h"
#include "xalloc.h"

/* At most this many threads (the caller's included) stage wheels. */
#define INSTALL_INGEST_THREADS 4

/* Shared state of the staging threads. */
struct install__stager {
	const struct install_env *env;
	const struct install_opts *o;
	struct install_ingested *g;
	struct ingest_batch *batch;
	atomic_size_t next;   /* the next wheel to claim */
	atomic_size_t done;   /* wheels staged, for progress */
	atomic_bool stop;     /* a wheel failed: claim no more */
	unsigned char *taken; /* per wheel: claimed by a thread */
};

/* Whether the client went away. */
static int install__cancelled(const struct install_env *env)
{
	return env->cancel != NULL && atomic_load(env->cancel);
}

/* Thread body: claim wheels in request order and stage each one. */
static void *install__stage_run(void *arg)
{
	struct install__stager *st = arg;
	const struct install_env *env = st->env;
	struct install_ingested *g = st->g;

	for (;;) {
		size_t i;
		int rc;
		if (atomic_load(&st->stop) || install__cancelled(env))
			break;
		i = atomic_fetch_add(&st->next, 1);
		if (i >= g->n)
			break;
		st->taken[i] = 1;
		err_clear(&g->err[i]);
		rc = env->ingest_fn ? env->ingest_fn(env->ingest_arg, i, st->o->wheels[i],
						     st->batch, &g->res[i], &g->err[i])
				    : ingest_batch_stage(st->batch, i, st->o->wheels[i], &g->res[i],
							 &g->err[i]);
		g->rc[i] = rc < 0 ? rc : 0;
		if (rc < 0)
			atomic_store(&st->stop, true);
		if (env->progress)
			env->progress(env->progress_arg, "prepare",
				      atomic_fetch_add(&st->done, 1) + 1, g->n);
	}
	return NULL;
}

/* How many threads stage n wheels. */
static size_t install__stage_threads(size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = cpus > 0 ? (size_t)cpus : 1;

	if (nt > INSTALL_INGEST_THREADS)
		nt = INSTALL_INGEST_THREADS;
	return nt < n ? nt : (n ? n : 1);
}

/* Stage every wheel on a few threads; then publish them together when all staged. */
int install_ingest_all(const struct install_env *env, const struct install_opts *o,
		       struct install_ingested *g, struct err *err)
{
	struct install__stager st = {.env = env, .o = o, .g = g};
	pthread_t th[INSTALL_INGEST_THREADS];
	int started[INSTALL_INGEST_THREADS] = {0};
	size_t nt = install__stage_threads(o->n_wheels);
	int failed = 0, rc = 0;

	g->n = o->n_wheels;
	g->res = xcalloc(g->n ? g->n : 1, sizeof(*g->res));
	g->rc = xcalloc(g->n ? g->n : 1, sizeof(*g->rc));
	g->err = xcalloc(g->n ? g->n : 1, sizeof(*g->err));
	st.taken = xcalloc(g->n ? g->n : 1, 1);
	st.batch = ingest_batch_new(env->ingest, g->n);
	atomic_init(&st.next, 0);
	atomic_init(&st.done, 0);
	atomic_init(&st.stop, false);
	/*
	 * A thread acting as a user (system mode) passes its credentials to the
	 * threads it creates, whose own ident state says "the daemon": create them
	 * as the daemon, which is what ingestion runs as anyway.
	 */
	if (env->progress)
		env->progress(env->progress_arg, "prepare", 0, g->n);
	ident_suspend();
	for (size_t t = 1; t < nt; t++)
		started[t] = pthread_create(&th[t], NULL, install__stage_run, &st) == 0;
	ident_resume();
	install__stage_run(&st);
	for (size_t t = 1; t < nt; t++)
		if (started[t])
			pthread_join(th[t], NULL);
	for (size_t i = 0; i < g->n; i++) {
		if (!st.taken[i])
			g->rc[i] =
			    install__cancelled(env)
				? err_set(&g->err[i], -ECANCELED, "cancelled")
				: err_set(&g->err[i], -ECANCELED,
					  "%s: not read: an earlier wheel failed", o->wheels[i]);
		failed |= g->rc[i] < 0;
	}
	/*
	 * A failed wheel fails the request: publish nothing of it (the results of
	 * the wheels staged before it stay, for the checks the install loop makes
	 * in request order before it reaches the failed one).
	 */
	if (!failed && (rc = ingest_batch_publish(st.batch, err)) < 0) {
		for (size_t i = 0; i < g->n; i++)
			ingest_result_free(&g->res[i]);
	}
	ingest_batch_free(st.batch);
	free(st.taken);
	return rc;
}

/* Free the results still in g. */
void install_ingested_free(struct install_ingested *g)
{
	for (size_t i = 0; i < g->n; i++)
		ingest_result_free(&g->res[i]);
	free(g->res);
	free(g->rc);
	free(g->err);
	memset(g, 0, sizeof(*g));
}
