/* settings.c: parse the configuration file and size/duration values. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"
#include "settings.h"

#define SETTINGS_LINE_MAX  4096
#define SETTINGS_MAX_LINES 10000

/* Defaults: no limit, 1 h grace, batches of 8, 4 verify workers. */
void settings_defaults(struct settings *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->grace_s = 3600;
	cfg->evict_batch = 8;
	cfg->verify_jobs = 4;
}

/* The configuration file's path (malloc'd). */
char *settings_default_path(void)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (x && x[0] == '/')
		return xasprintf("%s/whlc/config", x);
	return xasprintf("%s/.config/whlc/config", home && *home ? home : "/");
}

/* A number with an optional unit from a table; multiplies into *out. */
static int settings__scaled(const char *s, const char *const *units, const double *mult, size_t n,
			    double *out)
{
	char *end;
	double v;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s) && *s != '.')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || !isfinite(v) || v < 0)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	if (*end == '\0') {
		*out = v;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(end, units[i]) == 0) {
			*out = v * mult[i];
			return 0;
		}
	return -EINVAL;
}

/* "10G", "500MiB", "1.5g", "123" (bytes; K/M/G/T are powers of 1024). */
int settings_parse_size(const char *s, uint64_t *out)
{
	static const char *const u[] = {"b", "k",  "kb",  "kib", "m",  "mb", "mib",
					"g", "gb", "gib", "t",	 "tb", "tib"};
	static const double K = 1024.0, M = K * K, G = M * K, T = G * K;
	static const double m[] = {1, K, K, K, M, M, M, G, G, G, T, T, T};
	double v;

	if (settings__scaled(s, u, m, sizeof(m) / sizeof(m[0]), &v) < 0 || v > 1e18)
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

/* "90s", "30m", "12h", "7d", "2w", "45" (seconds). */
int settings_parse_duration(const char *s, int64_t *out)
{
	static const char *const u[] = {"s", "m", "min", "h", "d", "w"};
	static const double m[] = {1, 60, 60, 3600, 86400, 604800};
	double v;

	if (settings__scaled(s, u, m, sizeof(m) / sizeof(m[0]), &v) < 0 || v > 1e15)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

/* Strip spaces at both ends in place. */
static char *settings__trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Apply one key = value. */
static int settings__set(struct settings *cfg, const char *key, const char *val)
{
	uint64_t u;

	if (strcmp(key, "max-size") == 0)
		return settings_parse_size(val, &cfg->max_size);
	if (strcmp(key, "grace-period") == 0)
		return settings_parse_duration(val, &cfg->grace_s);
	if (strcmp(key, "max-unpacked") == 0)
		return settings_parse_size(val, &cfg->max_unpacked) < 0 || cfg->max_unpacked == 0
			   ? -EINVAL
			   : 0;
	if (strcmp(key, "max-ratio") == 0) {
		char *end;
		errno = 0;
		u = strtoull(val, &end, 10);
		if (errno || *end || u < 2 || u > 1000000 || val[0] == '-')
			return -EINVAL;
		cfg->max_ratio = u;
		return 0;
	}
	if (strcmp(key, "evict-batch") == 0 || strcmp(key, "verify-jobs") == 0) {
		char *end;
		errno = 0;
		u = strtoull(val, &end, 10);
		if (errno || *end || u == 0 || u > 1024 || val[0] == '-')
			return -EINVAL;
		*(key[0] == 'e' ? &cfg->evict_batch : &cfg->verify_jobs) = u;
		return 0;
	}
	return -ENOENT;
}

const char *const settings_keys[] = {"max-size",     "grace-period", "evict-batch", "verify-jobs",
				     "max-unpacked", "max-ratio",    NULL};

/* True when key is one of the NULL-terminated keys. */
int settings_key_in(const char *key, const char *const *keys)
{
	for (; keys && *keys; keys++)
		if (strcmp(key, *keys) == 0)
			return 1;
	return 0;
}

/* Read path into cfg; a missing file is not an error. */
int settings_load(struct settings *cfg, const char *path, const char *const *other_keys,
		  struct err *err)
{
	FILE *f = fopen(path, "re");
	char line[SETTINGS_LINE_MAX];
	int lineno = 0, ret = 0;

	if (f == NULL)
		return errno == ENOENT
			   ? 0
			   : err_set(err, -errno, "cannot read the configuration %s: %s", path,
				     strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL && ++lineno <= SETTINGS_MAX_LINES) {
		char *hash = strchr(line, '#'), *eq, *key, *val;
		if (hash)
			*hash = '\0';
		key = settings__trim(line);
		if (*key == '\0')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL) {
			ret = err_set(err, -EINVAL, "%s:%d: expected 'key = value'", path, lineno);
			break;
		}
		*eq = '\0';
		key = settings__trim(key);
		val = settings__trim(eq + 1);
		if (settings_key_in(key, other_keys))
			continue;
		int r = settings__set(cfg, key, val);
		if (r == -ENOENT) {
			ret = err_set(err, -EINVAL,
				      "%s:%d: unknown key '%s' (known: max-size, grace-period, "
				      "evict-batch, verify-jobs, max-unpacked, max-ratio%s)",
				      path, lineno, key,
				      other_keys ? ", allow-users, allow-groups" : "");
			break;
		}
		if (r < 0) {
			ret = err_set(err, -EINVAL, "%s:%d: bad value '%s' for %s", path, lineno,
				      val, key);
			break;
		}
	}
	fclose(f);
	if (ret == 0) {
		free(cfg->path);
		cfg->path = xstrdup(path);
	}
	return ret;
}

/* Release the path. */
void settings_free(struct settings *cfg)
{
	free(cfg->path);
	cfg->path = NULL;
}
