/* ingest_check.c: install-independent validation of a wheel's layout and metadata. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ingest_check.h"
#include "rfc822.h"
#include "xalloc.h"

#define INGEST_MAX_HEADERS 100000

/* Length of the first path component of name (up to '/' or the end). */
static size_t ingest__first_len(const char *name)
{
	const char *slash = strchr(name, '/');

	return slash ? (size_t)(slash - name) : strlen(name);
}

/* True when the n bytes at s end with suffix. */
static int ingest__ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Check the dist-info directory name "<name>-<version>.dist-info" against the file name. */
static int ingest__check_dist_info_name(const char *di, const struct wheel_name *wn,
					struct err *err)
{
	size_t stem_len = strlen(di) - strlen(".dist-info");
	char *stem = xstrndup(di, stem_len);
	char *dash = strchr(stem, '-');
	int ret = 0;

	if (dash == NULL) {
		ret = err_set(
		    err, -WHLC_EBADWHEEL,
		    "%s/: a .dist-info directory must be named <name>-<version>.dist-info", di);
		goto out;
	}
	*dash = '\0';
	if (!wheel_names_equal(stem, wn->name))
		ret = err_set(
		    err, -WHLC_EBADWHEEL,
		    "%s/: .dist-info directory is for project '%s', the file name says '%s'", di,
		    stem, wn->name);
	else if (!wheel_versions_equal(dash + 1, wn->version))
		ret = err_set(err, -WHLC_EBADWHEEL,
			      "%s/: .dist-info directory is for version '%s', the file name says "
			      "'%s'",
			      di, dash + 1, wn->version);
out:
	free(stem);
	return ret;
}

/* Check a file under a top-level *.data directory (spec C.11, C.13). */
static int ingest__check_data_path(const char *name, size_t first, struct err *err)
{
	static const char *const keys[] = {"purelib", "platlib", "scripts", "headers", "data"};
	const char *rest = name + first + 1;
	size_t klen = ingest__first_len(rest), i;

	if (rest[klen] == '\0')
		return err_set(err, -WHLC_EBADWHEEL,
			       "member '%s': file directly under %.*s/; .data contents must be in "
			       "purelib, platlib, scripts, headers or data",
			       name, (int)first, name);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i]) == klen && memcmp(keys[i], rest, klen) == 0)
			break;
	if (i == sizeof(keys) / sizeof(keys[0]))
		return err_set(err, -WHLC_EBADWHEEL,
			       "member '%s': unknown .data scheme key '%.*s' (expected purelib, "
			       "platlib, scripts, headers or data)",
			       name, (int)klen, rest);
	if (i <= 1) {
		const char *sub = rest + klen + 1;
		size_t slen = ingest__first_len(sub);
		if (sub[slen] == '/' && ingest__ends_with(sub, slen, ".dist-info"))
			return err_set(
			    err, -WHLC_EBADWHEEL,
			    "member '%s': a .dist-info directory inside .data/%.*s would "
			    "create a phantom distribution",
			    name, (int)klen, rest);
	}
	return 0;
}

/* Check the member layout against the file name (see ingest_check.h). */
int ingest_check_layout(const struct zip_index *zi, const struct wheel_name *wn,
			struct ingest_layout *out, struct err *err)
{
	const char *di = NULL;
	size_t di_len = 0;
	int ret;

	out->dist_info = NULL;
	for (size_t i = 0; i < zi->n; i++) {
		const char *name = zi->v[i].name;
		size_t first = ingest__first_len(name);
		if (name[first] != '/' || !ingest__ends_with(name, first, ".dist-info"))
			continue;
		if (di == NULL) {
			di = name;
			di_len = first;
		} else if (di_len != first || memcmp(di, name, first) != 0) {
			return err_set(err, -WHLC_EBADWHEEL,
				       "two .dist-info directories: %.*s/ and %.*s/; a wheel must "
				       "have exactly one",
				       (int)di_len, di, (int)first, name);
		}
	}
	if (di == NULL)
		return err_set(err, -WHLC_EBADWHEEL, "no top-level .dist-info directory");
	out->dist_info = xstrndup(di, di_len);
	if ((ret = ingest__check_dist_info_name(out->dist_info, wn, err)) < 0)
		goto fail;
	for (size_t i = 0; i < zi->n; i++) {
		const char *name = zi->v[i].name;
		size_t first = ingest__first_len(name);
		if (zi->v[i].is_dir || name[first] != '/' ||
		    !ingest__ends_with(name, first, ".data"))
			continue;
		if ((ret = ingest__check_data_path(name, first, err)) < 0)
			goto fail;
	}
	static const char *const required[] = {"METADATA", "WHEEL", "RECORD"};
	for (size_t i = 0; i < 3; i++) {
		char *p = xasprintf("%s/%s", out->dist_info, required[i]);
		const struct zip_entry *ze = zip_index_find(zi, p);
		free(p);
		if (ze == NULL || ze->is_dir) {
			ret = err_set(err, i == 2 ? -WHLC_ERECORD : -WHLC_EBADWHEEL,
				      "member '%s/%s' is missing", out->dist_info, required[i]);
			goto fail;
		}
	}
	return 0;
fail:
	ingest_layout_free(out);
	return ret;
}

/* Release the layout. */
void ingest_layout_free(struct ingest_layout *l)
{
	free(l->dist_info);
	l->dist_info = NULL;
}

/* METADATA Name and Version equal the file name's (after normalization). */
int ingest_check_metadata(const char *buf, size_t len, const struct wheel_name *wn, struct err *err)
{
	struct rfc822 h;
	const char *name, *version;
	int ret;

	if ((ret = rfc822_parse(buf, len, INGEST_MAX_HEADERS, &h, err)) < 0)
		return err_prefix(err, "METADATA");
	name = rfc822_get(&h, "Name");
	version = rfc822_get(&h, "Version");
	if (name == NULL || version == NULL)
		ret = err_set(err, -WHLC_EBADWHEEL, "METADATA has no %s header",
			      name ? "Version" : "Name");
	else if (!wheel_names_equal(name, wn->name))
		ret = err_set(err, -WHLC_EBADWHEEL,
			      "METADATA Name '%s' does not match the file name's '%s'", name,
			      wn->name);
	else if (!wheel_versions_equal(version, wn->version))
		ret = err_set(err, -WHLC_EBADWHEEL,
			      "METADATA Version '%s' does not match the file name's '%s'", version,
			      wn->version);
	rfc822_free(&h);
	return ret;
}

/* WHEEL: Wheel-Version 1.x and Root-Is-Purelib; *newer_minor when 1.x with x > 0. */
int ingest_check_wheel(const char *buf, size_t len, int *purelib, int *newer_minor, struct err *err)
{
	struct rfc822 h;
	int ret;

	if ((ret = rfc822_parse(buf, len, INGEST_MAX_HEADERS, &h, err)) < 0)
		return err_prefix(err, "WHEEL");
	/* rfc822_check_wheel's messages already start with "WHEEL:". */
	ret = rfc822_check_wheel(&h, purelib, newer_minor, err);
	rfc822_free(&h);
	return ret;
}

/* True for "<dist_info>/RECORD", "RECORD.jws", "RECORD.p7s" (not listed in RECORD). */
int ingest_is_record_file(const char *dist_info, const char *path)
{
	size_t n = strlen(dist_info);

	if (strncmp(path, dist_info, n) != 0 || path[n] != '/')
		return 0;
	path += n + 1;
	return strcmp(path, "RECORD") == 0 || strcmp(path, "RECORD.jws") == 0 ||
	       strcmp(path, "RECORD.p7s") == 0;
}
