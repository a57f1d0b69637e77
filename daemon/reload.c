/* reload.c: SIGHUP: re-read the configuration file and apply it, or keep the old one. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "daemon.h"
#include "lifecycle.h"
#include "reload.h"
#include "settings.h"
#include "sysmode.h"
#include "xalloc.h"

/* Re-read the configuration and apply it (loop thread). */
int reload_config(struct daemon *d, struct err *err)
{
	struct sysmode ns;
	struct settings cfg;
	struct cache *c = d->cache;
	char *path;
	int rc;

	memset(&ns, 0, sizeof(ns));
	settings_defaults(&cfg);
	if (d->sys && (rc = sysmode_load(&ns, d->sys->config_path, &d->log, err)) < 0) {
		sysmode_free(&ns);
		return rc;
	}
	path = d->sys ? xstrdup(d->sys->config_path) : settings_default_path();
	rc = settings_load(&cfg, path, d->sys ? sysmode_keys : NULL, err);
	free(path);
	if (rc == 0 && d->opts.max_size_opt &&
	    settings_parse_size(d->opts.max_size_opt, &cfg.max_size) < 0)
		rc = err_set(err, -EINVAL, "--max-size: bad size '%s'", d->opts.max_size_opt);
	if (rc < 0) {
		sysmode_free(&ns);
		settings_free(&cfg);
		return rc;
	}
	if (d->sys) {
		sysmode_free(d->sys);
		*d->sys = ns;
	}
	if (c) {
		/* Workers read these without a lock: one atomic word each. */
		__atomic_store_n(&c->cfg.max_size, cfg.max_size, __ATOMIC_RELAXED);
		__atomic_store_n(&c->cfg.grace_s, cfg.grace_s, __ATOMIC_RELAXED);
		__atomic_store_n(&c->cfg.evict_batch, cfg.evict_batch, __ATOMIC_RELAXED);
		__atomic_store_n(&c->cfg.verify_jobs, cfg.verify_jobs, __ATOMIC_RELAXED);
		if (getenv("WHLCD_MAX_UNPACKED") == NULL && getenv("WHLCD_MAX_RATIO") == NULL)
			cache_apply_limits(c, cfg.max_unpacked, cfg.max_ratio);
		free(c->cfg.path); /* read on the loop thread only */
		c->cfg.path = cfg.path;
		cfg.path = NULL;
	}
	log_info(&d->log,
		 "configuration reloaded%s%s: cache size limit %llu bytes, grace period %llds%s",
		 d->sys ? " from " : "", d->sys ? d->sys->config_path : "",
		 (unsigned long long)cfg.max_size, (long long)cfg.grace_s,
		 d->sys ? (d->sys->allow_all ? ", every user allowed" : "") : "");
	if (d->sys)
		log_info(&d->log, "allowed: %zu user(s), %zu group(s)%s", d->sys->n_users,
			 d->sys->n_groups, d->sys->config_found ? "" : " (no configuration file)");
	settings_free(&cfg);
	cache_note_growth(d); /* a lower limit starts eviction */
	return 0;
}
