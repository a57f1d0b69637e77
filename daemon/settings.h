/*
 * settings.h: the daemon's cache settings: the configuration file
 * ($XDG_CONFIG_HOME/whlc/config, else ~/.config/whlc/config), overridden by
 * whlcd options. The file has one "key = value" per line; '#' starts a
 * comment; unknown keys are errors (a typo must not silently do nothing).
 *
 * Keys (README.md, section "Configuration"):
 *   max-size        cache size limit, e.g. 10G, 500M, 0 = no limit (default)
 *   grace-period    unreferenced objects younger than this are kept (default 1h)
 *   evict-batch     wheels evicted per background batch (default 8)
 *   verify-jobs     parallel workers of `whlc cache verify` (default 4)
 *   max-unpacked    zip bomb limit: total uncompressed size of one wheel (default 8G)
 *   max-ratio       zip bomb limit: compression ratio of a member (default 500)
 */
#ifndef WHLC_SETTINGS_H
#define WHLC_SETTINGS_H

#include <stdint.h>

#include "err.h"

struct settings {
	uint64_t max_size;     /* bytes; 0 = unlimited */
	int64_t grace_s;       /* seconds */
	uint64_t evict_batch;  /* wheels per background batch */
	uint64_t verify_jobs;  /* parallel verify workers */
	uint64_t max_unpacked; /* bytes a wheel may inflate to; 0 = zip_limits_default's */
	uint64_t max_ratio;    /* compression ratio limit; 0 = zip_limits_default's */
	char *path;	       /* the file read, or NULL */
};

/* Defaults: no limit, 1 h grace, batches of 8, 4 verify workers. */
void settings_defaults(struct settings *cfg);
/* The configuration file's path (malloc'd): $XDG_CONFIG_HOME/whlc/config or ~/.config/... */
char *settings_default_path(void);
/* The keys settings_load understands (NULL-terminated). */
extern const char *const settings_keys[];

/*
 * Read path into cfg; a missing file is not an error (returns 0, cfg untouched).
 * other_keys (NULL-terminated, may be NULL) are keys of the same file that
 * another reader handles (system mode's allow-lists): accepted and skipped.
 */
int settings_load(struct settings *cfg, const char *path, const char *const *other_keys,
		  struct err *err);
/* True when key is one of the NULL-terminated keys. */
int settings_key_in(const char *key, const char *const *keys);
void settings_free(struct settings *cfg);

/* "10G", "500MiB", "1.5g", "123" (bytes; K/M/G/T are powers of 1024). */
int settings_parse_size(const char *s, uint64_t *out);
/* "90s", "30m", "12h", "7d", "2w", "45" (seconds). */
int settings_parse_duration(const char *s, int64_t *out);

#endif
