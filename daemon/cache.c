/* cache.c: open and close the daemon's store, catalog and ingestion settings. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "daemon.h"
#include "lifecycle.h"
#include "sysmode.h"
#include "xalloc.h"

/* Connections in the catalog pool: libuv's workers plus the loop, with room. */
#define CACHE_CATALOG_CONNS 16

/* Read an optional positive integer from the environment into *out. */
static int cache__env_u64(const char *name, uint64_t *out, struct err *err)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long x;

	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x == 0 || v[0] == '-')
		return err_set(err, -EINVAL, "%s wants a positive integer, got '%s'", name, v);
	*out = x;
	return 0;
}

/* Open the store and catalog under d->cache_dir and hang them off d. */
int cache_open(struct daemon *d, struct err *err)
{
	struct cache *c = xcalloc(1, sizeof(*c));
	unsigned removed = 0;
	int ret;

	if (failpoint_init_env(&c->fp) < 0) {
		ret = err_set(err, -EINVAL, "WHLCD_FAILPOINT wants name[:kill|error], got '%s'",
			      getenv("WHLCD_FAILPOINT"));
		goto fail_fp;
	}
	settings_defaults(&c->cfg);
	{
		/* One file, one syntax: system mode's allow-lists sit beside these keys. */
		char *path = d->sys ? xstrdup(d->sys->config_path) : settings_default_path();
		ret = settings_load(&c->cfg, path, d->sys ? sysmode_keys : NULL, err);
		free(path);
		if (ret < 0)
			goto fail_fp;
	}
	if (d->opts.max_size_opt &&
	    settings_parse_size(d->opts.max_size_opt, &c->cfg.max_size) < 0) {
		ret = err_set(err, -EINVAL, "--max-size wants a size like 10G or 500M, got '%s'",
			      d->opts.max_size_opt);
		goto fail_fp;
	}
	if (c->fp.name)
		log_warn(&d->log, "failure point armed: %s (%s)", c->fp.name,
			 c->fp.action == FAILPOINT_KILL ? "kill" : "error");
	if ((ret = store_open(&c->store, d->cache_dir, &removed, err)) < 0)
		goto fail_fp;
	if (removed)
		log_info(&d->log, "removed %u leftover temporary file(s) from %s", removed,
			 c->store.tmp);
	c->catalog_path = xasprintf("%s/catalog.db", d->cache_dir);
	if ((ret = catalog_open(&c->catalog, c->catalog_path, CACHE_CATALOG_CONNS, err)) < 0)
		goto fail_store;
	ingest_ctx_init(&c->ingest, &c->store, &c->catalog, &c->fp);
	cache_apply_limits(c, c->cfg.max_unpacked, c->cfg.max_ratio);
	/* The environment overrides the file (tests set tiny limits this way). */
	if ((ret = cache__env_u64("WHLCD_MAX_UNPACKED", &c->ingest.limits.max_total_size, err)) <
		0 ||
	    (ret = cache__env_u64("WHLCD_MAX_RATIO", &c->ingest.limits.max_ratio, err)) < 0)
		goto fail_catalog;
	pthread_mutex_init(&c->pin_mu, NULL);
	pthread_mutex_init(&c->life_mu, NULL);
	c->d = d;
	d->cache = c;
	d->store = &c->store;
	d->catalog = &c->catalog;
	if (c->cfg.max_size || c->cfg.path)
		log_info(&d->log, "cache size limit %llu bytes, grace period %llds%s%s",
			 (unsigned long long)c->cfg.max_size, (long long)c->cfg.grace_s,
			 c->cfg.path ? ", config " : "", c->cfg.path ? c->cfg.path : "");
	if (d->loop)
		cache_start_background(d);
	return 0;
fail_catalog:
	catalog_close(&c->catalog);
fail_store:
	store_close(&c->store);
	free(c->catalog_path);
fail_fp:
	settings_free(&c->cfg);
	failpoint_free(&c->fp);
	free(c);
	return ret;
}

/* Apply the configured zip bomb limits (0: the default) to ingestion. */
void cache_apply_limits(struct cache *c, uint64_t max_unpacked, uint64_t max_ratio)
{
	struct zip_limits def;

	zip_limits_default(&def);
	/* Ingestion reads them while a reload writes them: one atomic word each. */
	__atomic_store_n(&c->ingest.limits.max_total_size,
			 max_unpacked ? max_unpacked : def.max_total_size, __ATOMIC_RELAXED);
	__atomic_store_n(&c->ingest.limits.max_ratio, max_ratio ? max_ratio : def.max_ratio,
			 __ATOMIC_RELAXED);
}

/* Give back what the cache keeps for speed while busy (the catalog's page caches). */
void cache_release_memory(struct daemon *d)
{
	if (d->cache != NULL)
		catalog_release_memory(&d->cache->catalog);
}

/* Close what cache_open opened (no request may be running). */
void cache_close(struct daemon *d)
{
	struct cache *c = d->cache;

	if (c == NULL)
		return;
	if (c->scan_complete) {
		struct err e;
		if (cache_snapshot_save(c, &e) < 0)
			log_warn(&d->log, "cannot save the store snapshot: %s", e.msg);
	}
	pthread_mutex_destroy(&c->pin_mu);
	pthread_mutex_destroy(&c->life_mu);
	free(c->pins);
	free(c->bg_state);
	settings_free(&c->cfg);
	catalog_close(&c->catalog);
	store_close(&c->store);
	failpoint_free(&c->fp);
	free(c->catalog_path);
	free(c);
	d->cache = NULL;
	d->store = NULL;
	d->catalog = NULL;
}
