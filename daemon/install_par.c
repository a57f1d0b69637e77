/*
 * install_par.c: the wheels of one request installed several at a time, with
 * pip's sequential result.
 *
 * pip installs the wheels of a command one after another, in its installation
 * order (install.c sorts the request the same way: project names descending):
 * a later wheel overwrites a file of an earlier one, and a failure leaves the
 * wheels before it installed and the ones after it untouched. A warm install
 * is kernel work (mkdirat, linkat) that two cores can share, so here a few
 * threads take wheels through three phases:
 *
 *   plan    pin the wheel, map its members to destinations (venv untouched);
 *           any number of wheels, in request order, a few ahead of the commits;
 *   apply   stash, directories, links, generated files up to the commit point;
 *           wheel k starts once every earlier wheel that shares a path with it
 *           (a file, a launcher, the dist-info, or a file where the other has a
 *           directory) is committed: that is the `dep` computed from the paths
 *           of all wheels before it. An upgrade (an old version to remove,
 *           which prunes directories) waits for all earlier wheels and holds
 *           back all later ones: it runs alone;
 *   commit  strictly in request order, one at a time (the dist-info renamed
 *           into place, the stash deleted, the catalog told). At the first
 *           failed wheel the wheels after it that did any work are undone
 *           instead, so the venv ends as after pip's run up to that wheel.
 *
 * A kill leaves at most the applied, uncommitted wheels' stashes, each undone
 * by the next operation on the venv (install_stash.c); commits being in order,
 * the committed wheels are always a prefix of the request.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "ident.h"
#include "install.h"
#include "installed.h"
#include "xalloc.h"

/*
 * Threads working on one request, the calling one included (2 cores: kernel
 * work + waits). The extra ones are shared by the daemon's installs: a
 * request running beside others gets what they left (none: it runs alone).
 */
#ifndef INSTALL_PAR_THREADS
#define INSTALL_PAR_THREADS 4
#endif
/* Wheels planned (pinned, their plans in memory) ahead of the next commit, at most. */
#define INSTALL_PAR_AHEAD 64

/* ---- a map from paths to a wheel index ---- */

struct install__map {
	char **keys;
	ssize_t *vals;
	uint64_t *hashes;
	size_t cap, n; /* cap: a power of two */
};

/* FNV-1a of the first len bytes of s, its bits mixed (the low ones index the table). */
static uint64_t install__hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 33);
}

/* The slot of key (its first len bytes, hash h) in m: where it is, or the free one it takes. */
static size_t install__slot_of(const struct install__map *m, const char *key, size_t len,
			       uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	while (m->keys[i] &&
	       (m->hashes[i] != h || strncmp(m->keys[i], key, len) != 0 || m->keys[i][len] != '\0'))
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* The value for key (len bytes), -1 when absent. */
static ssize_t install__map_get(const struct install__map *m, const char *key, size_t len)
{
	if (m->cap == 0)
		return -1;
	size_t i = install__slot_of(m, key, len, install__hash(key, len));
	return m->keys[i] ? m->vals[i] : -1;
}

/* Set key (len bytes) to v. */
static void install__map_put(struct install__map *m, const char *key, size_t len, ssize_t v)
{
	if (2 * (m->n + 1) > m->cap) {
		struct install__map g = {NULL, NULL, NULL, m->cap ? 2 * m->cap : 1024, 0};
		g.keys = xcalloc(g.cap, sizeof(*g.keys));
		g.vals = xcalloc(g.cap, sizeof(*g.vals));
		g.hashes = xcalloc(g.cap, sizeof(*g.hashes));
		for (size_t i = 0; i < m->cap; i++)
			if (m->keys[i]) {
				size_t k = (size_t)m->hashes[i] & (g.cap - 1);
				while (g.keys[k])
					k = (k + 1) & (g.cap - 1);
				g.keys[k] = m->keys[i];
				g.vals[k] = m->vals[i];
				g.hashes[k] = m->hashes[i];
				g.n++;
			}
		free(m->keys);
		free(m->vals);
		free(m->hashes);
		*m = g;
	}
	uint64_t h = install__hash(key, len);
	size_t i = install__slot_of(m, key, len, h);
	if (m->keys[i] == NULL) {
		m->keys[i] = xstrndup(key, len);
		m->hashes[i] = h;
		m->n++;
	}
	m->vals[i] = v;
}

/* Free a map. */
static void install__map_free(struct install__map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	free(m->hashes);
	memset(m, 0, sizeof(*m));
}

/* ---- directories known to exist (install.h) ---- */

struct install_dirs {
	pthread_mutex_t mu;
	struct install__map set;
};

/* 1 when dir is known to exist. */
int install_dirs_known(struct install_dirs *d, const char *dir)
{
	int known;

	if (d == NULL)
		return 0;
	pthread_mutex_lock(&d->mu);
	known = install__map_get(&d->set, dir, strlen(dir)) >= 0;
	pthread_mutex_unlock(&d->mu);
	return known;
}

/* Remember that dir exists. */
void install_dirs_add(struct install_dirs *d, const char *dir)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	install__map_put(&d->set, dir, strlen(dir), 1);
	pthread_mutex_unlock(&d->mu);
}

/* Forget every directory (some may have been pruned). */
static void install__dirs_forget(struct install_dirs *d)
{
	pthread_mutex_lock(&d->mu);
	install__map_free(&d->set);
	pthread_mutex_unlock(&d->mu);
}

/* ---- the scheduler ---- */

enum install__state {
	INSTALL_NEW,	  /* nothing done */
	INSTALL_PLANNING, /* a thread plans it */
	INSTALL_PLANNED,  /* planned (or its plan failed) */
	INSTALL_APPLYING, /* a thread applies it */
	INSTALL_READY,	  /* applied (or failed, or nothing to do): its turn to commit next */
};

/* One wheel of the request. */
struct install__slot {
	const struct install_par_wheel *in;
	struct install_job *job;
	enum install__state state;
	int work;    /* something to install (not '=', not a dry run) */
	int applied; /* apply ran (the venv may hold some of it) */
	int rc;	     /* of plan or apply */
	struct err err;
	struct install_result res; /* its lines, warnings, counters: merged at its turn */
	ssize_t dep;		   /* the last earlier wheel that must be committed first */
	struct install_env env;	   /* the request's, with its link progress counted here */
	struct install__par *p;
	_Atomic uint64_t link_seen; /* of its files linked, how many counted in the request's */
};

/* A request being installed. */
struct install__par {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_mutex_t catalog_mu; /* held while writing the catalog */
	const struct install_env *env;
	const struct vat *at; /* the venv */
	const struct install_opts *o;
	const struct interp_facts *f;
	const struct installed_list *il;
	struct install__slot *s;
	size_t n;
	size_t next_plan; /* the next wheel to plan */
	size_t next_dep;  /* the next wheel whose dep is to compute (all before: planned) */
	size_t cursor;	  /* the next wheel to commit */
	size_t failed_at; /* the first wheel that failed (n: none): nothing after it starts */
	int committing;
	ssize_t barrier;	    /* the last upgrade (runs alone), -1: none */
	struct install__map files;  /* path written -> last wheel writing it */
	struct install__map dirs;   /* directory of a path written -> last wheel */
	struct install_dirs known;  /* directories created or found, for every wheel */
	_Atomic uint64_t link_done; /* files linked, all wheels */
	_Atomic uint64_t link_total;
	struct install_result *res;
	struct err *err;
	int rc;
	struct ident_state *ident; /* the request's identity, for the threads (system mode) */
};

/* Count up to done of wheel s's files as linked (from any of its threads, in any order). */
static void install__count(struct install__slot *s, uint64_t done)
{
	uint64_t seen = atomic_load(&s->link_seen);

	while (done > seen)
		if (atomic_compare_exchange_weak(&s->link_seen, &seen, done)) {
			atomic_fetch_add(&s->p->link_done, done - seen);
			break;
		}
}

/* Progress hook of one wheel: its link counts become the request's. */
static void install__progress(void *arg, const char *phase, uint64_t done, uint64_t total)
{
	struct install__slot *s = arg;
	struct install__par *p = s->p;

	if (strcmp(phase, "link") != 0) {
		p->env->progress(p->env->progress_arg, phase, done, total);
		return;
	}
	install__count(s, done);
	p->env->progress(p->env->progress_arg, "link", atomic_load(&p->link_done),
			 atomic_load(&p->link_total));
}

/* Dependency walk state of one wheel. */
struct install__depwalk {
	struct install__par *p;
	ssize_t k, dep;
};

/*
 * Register one path of wheel k: a file (or launcher, or dist-info) there of
 * an earlier wheel, or a directory of one, or a file of one at one of its
 * directories makes k wait for that wheel.
 */
static void install__dep_path(void *arg, const char *path)
{
	struct install__depwalk *w = arg;
	struct install__par *p = w->p;
	size_t len = strlen(path);
	ssize_t v;

	if ((v = install__map_get(&p->files, path, len)) > w->dep && v != w->k)
		w->dep = v;
	if ((v = install__map_get(&p->dirs, path, len)) > w->dep && v != w->k)
		w->dep = v;
	install__map_put(&p->files, path, len, w->k);
	/* Ancestors: stop at the first one already registered for this wheel. */
	for (;;) {
		while (len > 0 && path[len - 1] != '/')
			len--;
		while (len > 1 && path[len - 1] == '/')
			len--;
		if (len <= 1 || install__map_get(&p->dirs, path, len) == w->k)
			break;
		if ((v = install__map_get(&p->files, path, len)) > w->dep && v != w->k)
			w->dep = v;
		install__map_put(&p->dirs, path, len, w->k);
	}
}

/* Compute the deps of the planned wheels, in order (p->mu held). */
static void install__deps(struct install__par *p)
{
	while (p->next_dep < p->next_plan) {
		struct install__slot *s = &p->s[p->next_dep];
		ssize_t k = (ssize_t)p->next_dep;
		if (s->work && s->state == INSTALL_PLANNING)
			break;
		p->next_dep++;
		if (!s->work || s->rc < 0)
			continue;
		struct install__depwalk w = {p, k, p->barrier};
		if (s->in->old) {
			/* An upgrade prunes directories: it waits for every earlier wheel, and
			 * every later one waits for it. */
			w.dep = k - 1;
			p->barrier = k;
		}
		install_job_paths(s->job, install__dep_path, &w);
		s->dep = w.dep;
	}
}

/* The first planned wheel that may be applied now (p->mu held), or NULL. */
static struct install__slot *install__applicable(struct install__par *p)
{
	for (size_t k = p->cursor; k < p->next_dep && k < p->failed_at; k++) {
		struct install__slot *s = &p->s[k];
		if (s->work && s->state == INSTALL_PLANNED && s->rc == 0 &&
		    s->dep < (ssize_t)p->cursor)
			return s;
	}
	return NULL;
}

/* The wheel at the cursor when it can be finished now (p->mu held), or NULL. */
static struct install__slot *install__committable(struct install__par *p)
{
	if (p->committing || p->cursor >= p->n)
		return NULL;
	struct install__slot *s = &p->s[p->cursor];
	if (s->state == INSTALL_READY)
		return s;
	/* After a failure, what never started is finished as not done. */
	if (p->cursor > p->failed_at && (s->state == INSTALL_NEW || s->state == INSTALL_PLANNED))
		return s;
	return NULL;
}

/* Append a wheel's result to the request's, in request order. */
static void install__merge(struct install_result *r, struct install_result *w)
{
	for (size_t i = 0; i < w->n_lines; i++) {
		r->lines = xreallocarray(r->lines, r->n_lines + 1, sizeof(*r->lines));
		r->lines[r->n_lines++] = w->lines[i];
	}
	w->n_lines = 0;
	for (size_t i = 0; i < w->n_warnings; i++)
		install_warn(r, "%s", w->warnings[i]);
	if (w->fallback) {
		r->mode_used = INSTALL_COPY;
		if (r->fallback == NULL) {
			r->fallback = w->fallback;
			w->fallback = NULL;
		}
	}
	r->files += w->files;
	r->bytes_linked += w->bytes_linked;
	r->installed += w->installed;
}

/* Finish wheel k at its turn: commit it, or report its failure, or undo it. */
static void install__finish(struct install__par *p, struct install__slot *s, size_t failed_at)
{
	size_t k = (size_t)(s - p->s);
	struct install_job *j = s->job;
	const struct install_par_wheel *in = s->in;

	if (k > failed_at) {
		/* pip never got here: leave no trace (its warnings are dropped too). */
		if (s->applied) {
			install_job_undo(p->o, p->f, j, s->rc, &s->res, NULL);
			install__dirs_forget(&p->known);
		}
		return;
	}
	if (!s->work) {
		if (in->op == '=') {
			install_line_add(&s->res, '=', in->w->norm_name, in->w->version);
		} else {
			if (in->old)
				install_line_add(&s->res, '-', in->old->name, in->old->version);
			install_line_add(&s->res, '+', in->w->norm_name, in->w->version);
		}
	} else if (s->rc == 0) {
		s->rc = install_job_commit(p->f, p->il, j, &s->res, &s->err);
		if (s->rc == 0)
			s->res.installed++;
	}
	if (s->work && s->rc < 0) {
		install_job_undo(p->o, p->f, j, s->rc, &s->res, &s->err);
		install__dirs_forget(&p->known);
		p->rc = err_set(p->err, s->rc, "%s", s->err.msg);
	}
	install__merge(p->res, &s->res);
}

/* Plan wheel s (p->mu not held). */
static void install__plan_one(struct install__par *p, struct install__slot *s)
{
	s->job = install_job_new(p->at, s->in->old, s->in->path, s->in->w, s->in->wn);
	s->rc = install_job_plan(&s->env, p->f, s->job, &s->res, &s->err);
	if (s->rc == 0)
		atomic_fetch_add(&p->link_total, install_job_size(s->job));
}

/* Apply wheel s (p->mu not held). */
static void install__apply_one(struct install__par *p, struct install__slot *s)
{
	if (s->in->old)
		install__dirs_forget(&p->known); /* runs alone; the old version's go */
	s->applied = 1;
	s->rc = install_job_apply(&s->env, p->o, p->f, s->job, &p->known, &s->res, &s->err);
	install__count(s, install_job_size(s->job));
}

/* A worker: take whatever work is ready, until every wheel is finished. */
static void install__work(struct install__par *p)
{
	struct install__slot *s;

	pthread_mutex_lock(&p->mu);
	while (p->cursor < p->n) {
		if ((s = install__committable(p)) != NULL) {
			size_t failed_at = p->failed_at;
			struct install_job *j = s->job;
			p->committing = 1;
			pthread_mutex_unlock(&p->mu);
			install__finish(p, s, failed_at);
			install_result_free(&s->res);
			pthread_mutex_lock(&p->mu);
			if (p->rc < 0 && p->failed_at > p->cursor)
				p->failed_at = p->cursor;
			s->job = NULL;
			p->cursor++;
			p->committing = 0;
			pthread_cond_broadcast(&p->cv);
			/* The next wheel commits meanwhile. */
			pthread_mutex_unlock(&p->mu);
			install_job_settle(j);
			/* One catalog writer per request: SQLite makes the others sleep. */
			pthread_mutex_lock(&p->catalog_mu);
			install_job_account(p->env, p->o, p->f, j);
			pthread_mutex_unlock(&p->catalog_mu);
			install_job_free(p->env, j);
			pthread_mutex_lock(&p->mu);
			continue;
		} else if ((s = install__applicable(p)) != NULL) {
			s->state = INSTALL_APPLYING;
			pthread_mutex_unlock(&p->mu);
			install__apply_one(p, s);
			pthread_mutex_lock(&p->mu);
			s->state = INSTALL_READY;
			if (s->rc < 0 && (size_t)(s - p->s) < p->failed_at)
				p->failed_at = (size_t)(s - p->s);
		} else if (p->next_plan < p->n && p->next_plan < p->failed_at &&
			   p->next_plan < p->cursor + INSTALL_PAR_AHEAD) {
			s = &p->s[p->next_plan++];
			if (!s->work) {
				install__deps(p);
				continue;
			}
			s->state = INSTALL_PLANNING;
			pthread_mutex_unlock(&p->mu);
			install__plan_one(p, s);
			pthread_mutex_lock(&p->mu);
			s->state = s->rc < 0 ? INSTALL_READY : INSTALL_PLANNED;
			if (s->rc < 0 && (size_t)(s - p->s) < p->failed_at)
				p->failed_at = (size_t)(s - p->s);
			install__deps(p);
		} else {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
}

/* Take up to want extra threads from the daemon-wide budget (NULL: no limit). */
static size_t install__take_threads(atomic_int *budget, size_t want)
{
	int cur;

	if (budget == NULL)
		return want;
	cur = atomic_load(budget);
	for (;;) {
		int avail = INSTALL_PAR_THREADS - 1 - cur;
		size_t take = avail <= 0 ? 0 : (size_t)avail < want ? (size_t)avail : want;
		if (take == 0 || atomic_compare_exchange_weak(budget, &cur, cur + (int)take))
			return take;
	}
}

/* Thread body: act as the request's user, then work. */
static void *install__thread(void *arg)
{
	struct install__par *p = arg;
	struct err e;

	/* A thread that cannot act as the user leaves the work to the others. */
	if (ident_adopt(p->ident, &e) < 0)
		return NULL;
	install__work(p);
	if (p->ident)
		ident_leave();
	return NULL;
}

/* Install the request's wheels (see the top of the file). */
int install_par_run(const struct install_env *env, const struct vat *at,
		    const struct install_opts *o, const struct interp_facts *f,
		    const struct installed_list *il, const struct install_par_wheel *ws, size_t n,
		    struct install_result *res, struct err *err)
{
	struct install__par p;
	pthread_t th[INSTALL_PAR_THREADS];
	size_t nwork = 0, nt = 0, taken = 0;

	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	pthread_mutex_init(&p.catalog_mu, NULL);
	pthread_mutex_init(&p.known.mu, NULL);
	p.env = env;
	p.at = at;
	p.o = o;
	p.f = f;
	p.il = il;
	p.n = n;
	p.failed_at = n;
	p.barrier = -1;
	p.res = res;
	p.err = err;
	p.s = xcalloc(n ? n : 1, sizeof(*p.s));
	for (size_t k = 0; k < n; k++) {
		p.s[k].in = &ws[k];
		p.s[k].work = ws[k].op == '+' && !o->dry_run;
		p.s[k].state = p.s[k].work ? INSTALL_NEW : INSTALL_READY;
		p.s[k].dep = -1;
		p.s[k].res.mode_used = o->mode;
		p.s[k].p = &p;
		p.s[k].env = *env;
		if (env->progress) {
			p.s[k].env.progress = install__progress;
			p.s[k].env.progress_arg = &p.s[k];
		}
		nwork += p.s[k].work;
	}
	if (nwork > 1) {
		size_t want =
		    nwork - 1 < INSTALL_PAR_THREADS - 1 ? nwork - 1 : INSTALL_PAR_THREADS - 1;
		taken = install__take_threads(env->par_threads, want);
		p.ident = taken ? ident_state_save() : NULL;
		for (; nt < taken; nt++)
			if (pthread_create(&th[nt], NULL, install__thread, &p) != 0)
				break;
	}
	install__work(&p);
	for (size_t t = 0; t < nt; t++)
		pthread_join(th[t], NULL);
	if (env->par_threads && taken)
		atomic_fetch_sub(env->par_threads, (int)taken);
	for (size_t k = 0; k < n; k++) {
		install_job_free(env, p.s[k].job);
		install_result_free(&p.s[k].res);
	}
	free(p.s);
	install__map_free(&p.files);
	install__map_free(&p.dirs);
	install__map_free(&p.known.set);
	ident_state_free(p.ident);
	pthread_mutex_destroy(&p.known.mu);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.catalog_mu);
	pthread_mutex_destroy(&p.mu);
	return p.rc;
}
