/* interp.c: probe a venv's interpreter once (`-I -S`), parse and (de)serialize its facts. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "ident.h"
#include "interp.h"
#include "strbuf.h"
#include "xalloc.h"

/*
 * Runs in the target interpreter with -I -S: imports only the stdlib. Every
 * value is printed as hex of its filesystem bytes, so paths with newlines or
 * odd bytes cannot confuse the parser. The scheme is computed with the venv
 * dir as base because with -S sys.prefix is the base install, not the venv.
 */
static const char interp__script[] =
    "import os, sys, sysconfig\n"
    "def out(k, v):\n"
    "    if v is None: v = ''\n"
    "    if not isinstance(v, (str, bytes)): v = str(v)\n"
    "    if isinstance(v, str): v = os.fsencode(v)\n"
    "    sys.stdout.write(k + '=' + v.hex() + '\\n')\n"
    "v = sys.argv[1]\n"
    "scheme = 'venv' if 'venv' in sysconfig.get_scheme_names() else 'posix_prefix'\n"
    "p = sysconfig.get_paths(scheme=scheme, vars={'base': v, 'platbase': v,\n"
    "    'installed_base': v, 'installed_platbase': v})\n"
    "cv = sysconfig.get_config_var\n"
    "out('impl', sys.implementation.name)\n"
    "out('version', '%d.%d.%d' % sys.version_info[:3])\n"
    "out('cache_tag', sys.implementation.cache_tag)\n"
    "out('abiflags', getattr(sys, 'abiflags', ''))\n"
    "out('soabi', cv('SOABI'))\n"
    "out('ext_suffix', cv('EXT_SUFFIX'))\n"
    "out('gil_disabled', 1 if cv('Py_GIL_DISABLED') else 0)\n"
    "out('is_32bit', 1 if sys.maxsize <= 2**32 else 0)\n"
    "out('platlibdir', getattr(sys, 'platlibdir', 'lib'))\n"
    "out('platform', sysconfig.get_platform())\n"
    "try: g = os.confstr('CS_GNU_LIBC_VERSION') or ''\n"
    "except (AttributeError, ValueError, OSError): g = ''\n"
    "out('glibc', g)\n"
    "m = ''\n"
    "if not g:\n"
    "    import glob, subprocess\n"
    "    for ld in sorted(glob.glob('/lib/ld-musl-*.so.1')):\n"
    "        try: r = subprocess.run([ld], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
    "        except OSError: continue\n"
    "        for line in r.stderr.decode('ascii', 'replace').splitlines():\n"
    "            if line.startswith('Version '): m = line[8:].strip()\n"
    "        break\n"
    "out('musl', m)\n"
    "out('executable', sys.executable)\n"
    "out('scheme', scheme)\n"
    "for k in ('purelib', 'platlib', 'scripts', 'data'): out(k, p[k])\n"
    "out('include', os.path.join(v, 'include', 'site', 'python%d.%d' % sys.version_info[:2]))\n";

enum interp__kind { K_STR, K_VERSION, K_BOOL, K_LIBC };

struct interp__key {
	const char *name;
	enum interp__kind kind;
	size_t off; /* offset of the char * (K_STR) or first int */
	int path;   /* must be an absolute path */
};

#define OFF(m) offsetof(struct interp_facts, m)
static const struct interp__key interp__keys[] = {
    {"impl", K_STR, OFF(impl), 0},
    {"version", K_VERSION, OFF(major), 0},
    {"cache_tag", K_STR, OFF(cache_tag), 0},
    {"abiflags", K_STR, OFF(abiflags), 0},
    {"soabi", K_STR, OFF(soabi), 0},
    {"ext_suffix", K_STR, OFF(ext_suffix), 0},
    {"gil_disabled", K_BOOL, OFF(gil_disabled), 0},
    {"is_32bit", K_BOOL, OFF(is_32bit), 0},
    {"platlibdir", K_STR, OFF(platlibdir), 0},
    {"platform", K_STR, OFF(platform), 0},
    {"glibc", K_LIBC, OFF(glibc_major), 0},
    {"musl", K_LIBC, OFF(musl_major), 0},
    {"executable", K_STR, OFF(executable), 1},
    {"scheme", K_STR, OFF(scheme), 0},
    {"purelib", K_STR, OFF(purelib), 1},
    {"platlib", K_STR, OFF(platlib), 1},
    {"scripts", K_STR, OFF(scripts), 1},
    {"include", K_STR, OFF(include), 1},
    {"data", K_STR, OFF(data), 1},
};
#define NKEYS (sizeof(interp__keys) / sizeof(interp__keys[0]))

/* Free every string of f and zero it. */
void interp_facts_free(struct interp_facts *f)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (interp__keys[i].kind == K_STR) {
			char **p = (char **)((char *)f + interp__keys[i].off);
			free(*p);
		}
	}
	memset(f, 0, sizeof(*f));
}

/* "X.Y" of the interpreter into buf. */
void interp_xy(const struct interp_facts *f, char *buf, size_t size)
{
	snprintf(buf, size, "%d.%d", f->major, f->minor);
}

/* Decode lowercase/uppercase hex into a new NUL-terminated string; NULL on bad hex or NUL. */
static char *interp__unhex(const char *s, size_t n)
{
	if (n % 2)
		return NULL;
	char *out = xmalloc(n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		int v = 0;
		for (int j = 0; j < 2; j++) {
			char c = s[2 * i + j];
			int d = c >= '0' && c <= '9'   ? c - '0'
				: c >= 'a' && c <= 'f' ? c - 'a' + 10
				: c >= 'A' && c <= 'F' ? c - 'A' + 10
						       : -1;
			if (d < 0) {
				free(out);
				return NULL;
			}
			v = v * 16 + d;
		}
		if (v == 0) {
			free(out);
			return NULL;
		}
		out[i] = (char)v;
	}
	out[n / 2] = '\0';
	return out;
}

/* Parse up to n dot-separated small non-negative ints ("3.12.1", "2.36"); count or -1. */
static int interp__ints(const char *s, int *v, int n)
{
	int k = 0;
	while (k < n) {
		if (*s < '0' || *s > '9')
			return -1;
		long x = 0;
		while (*s >= '0' && *s <= '9') {
			x = x * 10 + (*s++ - '0');
			if (x > 100000)
				return -1;
		}
		v[k++] = (int)x;
		if (*s == '\0')
			return k;
		if (*s != '.')
			return -1;
		s++;
	}
	return -1;
}

/* Store one decoded value into f according to key; 0 or -1 when invalid. A relative
   path is joined to root (facts cached for any venv of one interpreter), else invalid. */
static int interp__store(struct interp_facts *f, const struct interp__key *k, char *val,
			 const char *root)
{
	int *ip = (int *)((char *)f + k->off);
	int v[3];

	switch (k->kind) {
	case K_STR: {
		char **p = (char **)((char *)f + k->off);
		if (k->path && val[0] != '/') {
			if (root == NULL || root[0] != '/' || val[0] == '\0')
				break;
			char *abs =
			    strcmp(val, ".") ? xasprintf("%s/%s", root, val) : xstrdup(root);
			free(val);
			val = abs;
		}
		free(*p);
		*p = val;
		return 0;
	}
	case K_VERSION:
		if (interp__ints(val, v, 3) != 3)
			break;
		ip[0] = v[0], ip[1] = v[1], ip[2] = v[2];
		free(val);
		return 0;
	case K_BOOL:
		if (strcmp(val, "0") && strcmp(val, "1"))
			break;
		*ip = val[0] == '1';
		free(val);
		return 0;
	case K_LIBC:
		/* "glibc 2.36" from confstr, "1.2.3" from the musl loader, "" absent. */
		ip[0] = ip[1] = -1;
		if (val[0] != '\0') {
			const char *sp = strrchr(val, ' ');
			int n = interp__ints(sp ? sp + 1 : val, v, 3);
			if (n < 2)
				break;
			ip[0] = v[0], ip[1] = v[1];
		}
		free(val);
		return 0;
	}
	free(val);
	return -1;
}

/* Parse `key=hex` lines into out; every known key required, unknown keys ignored. */
int interp_facts_parse(const char *buf, size_t len, struct interp_facts *out, struct err *err)
{
	return interp_facts_parse_at(buf, len, NULL, out, err);
}

/* interp_facts_parse, with relative paths (interp_facts_serialize_rel) rooted at venv_dir. */
int interp_facts_parse_at(const char *buf, size_t len, const char *venv_dir,
			  struct interp_facts *out, struct err *err)
{
	unsigned char seen[NKEYS] = {0};
	const char *p = buf, *end = buf + len;

	memset(out, 0, sizeof(*out));
	out->glibc_major = out->glibc_minor = out->musl_major = out->musl_minor = -1;
	if (len > INTERP_OUTPUT_MAX)
		return err_set(err, -WHLC_EPROTO, "interpreter facts too long (%zu bytes)", len);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(le - p));
		if (eq == NULL) {
			if (le == p)
				goto next; /* blank line */
			err_set(err, -WHLC_EPROTO, "malformed interpreter facts line: %.*s",
				(int)((le - p) > 60 ? 60 : (le - p)), p);
			goto fail;
		}
		for (size_t i = 0; i < NKEYS; i++) {
			const struct interp__key *k = &interp__keys[i];
			if (strlen(k->name) != (size_t)(eq - p) || memcmp(k->name, p, eq - p))
				continue;
			char *val = interp__unhex(eq + 1, (size_t)(le - eq - 1));
			if (val == NULL || interp__store(out, k, val, venv_dir) < 0) {
				if (val == NULL)
					err_set(err, -WHLC_EPROTO, "bad value for %s", k->name);
				else
					err_set(err, -WHLC_EPROTO,
						"invalid %s in interpreter facts", k->name);
				goto fail;
			}
			seen[i] = 1;
		}
	next:
		p = le + (nl ? 1 : 0);
	}
	for (size_t i = 0; i < NKEYS; i++) {
		if (!seen[i]) {
			err_set(err, -WHLC_EPROTO, "interpreter facts lack %s",
				interp__keys[i].name);
			goto fail;
		}
	}
	if (out->impl[0] == '\0' || out->major < 3) {
		err_set(err, -WHLC_EPROTO, "unsupported interpreter %s %d.%d", out->impl,
			out->major, out->minor);
		goto fail;
	}
	return 0;
fail:
	interp_facts_free(out);
	return err->code;
}

/* Append `key=hex(s)\n`. */
static void interp__put(struct strbuf *sb, const char *key, const char *s)
{
	strbuf_adds(sb, key);
	strbuf_addc(sb, '=');
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		strbuf_addf(sb, "%02x", *c);
	strbuf_addc(sb, '\n');
}

/* The part of path below root ("." for root itself), or NULL when path is not under root. */
static const char *interp__below(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (n < 2 || root[0] != '/' || strncmp(path, root, n))
		return NULL;
	if (path[n] == '\0')
		return ".";
	if (path[n] != '/' || path[n + 1] == '\0')
		return NULL;
	return path + n + 1;
}

/* Serialize f; with root, every path must lie under it and is written relative to it. */
static char *interp__serialize(const struct interp_facts *f, const char *root)
{
	struct strbuf sb = STRBUF_INIT;
	char tmp[64];

	for (size_t i = 0; i < NKEYS; i++) {
		const struct interp__key *k = &interp__keys[i];
		const int *ip = (const int *)((const char *)f + k->off);
		const char *sv;
		switch (k->kind) {
		case K_STR:
			sv = *(char *const *)((const char *)f + k->off);
			if (root && k->path && (sv = interp__below(sv, root)) == NULL) {
				strbuf_free(&sb);
				return NULL;
			}
			interp__put(&sb, k->name, sv);
			break;
		case K_VERSION:
			snprintf(tmp, sizeof(tmp), "%d.%d.%d", ip[0], ip[1], ip[2]);
			interp__put(&sb, k->name, tmp);
			break;
		case K_BOOL:
			interp__put(&sb, k->name, ip[0] ? "1" : "0");
			break;
		case K_LIBC:
			tmp[0] = '\0';
			if (ip[0] >= 0)
				snprintf(tmp, sizeof(tmp), "%d.%d", ip[0], ip[1]);
			interp__put(&sb, k->name, tmp);
			break;
		}
	}
	return strbuf_detach(&sb, NULL);
}

/* Serialize f in the probe's own `key=hex` format. */
char *interp_facts_serialize(const struct interp_facts *f)
{
	return interp__serialize(f, NULL);
}

/* Serialize f with its paths relative to venv_dir; NULL when one lies outside it. */
char *interp_facts_serialize_rel(const struct interp_facts *f, const char *venv_dir)
{
	return interp__serialize(f, venv_dir);
}

/* Bound on a pyvenv.cfg whose facts may be shared (a real one is a few hundred bytes). */
#define INTERP_CFG_MAX (16 * 1024)

/* Whether a pyvenv.cfg line names the venv itself rather than its interpreter. */
static int interp__cfg_own(const char *line, size_t n)
{
	const char *eq = memchr(line, '=', n), *k = line, *e;

	if (eq == NULL)
		return 0;
	for (e = eq; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	while (k < e && (*k == ' ' || *k == '\t'))
		k++;
	return (e - k == 7 && !strncasecmp(k, "command", 7)) ||
	       (e - k == 6 && !strncasecmp(k, "prompt", 6));
}

/* Read at most INTERP_CFG_MAX bytes of path into a new buffer; its length or -1. */
static ssize_t interp__read_small(const char *path, char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	size_t len = 0;

	if (fd < 0)
		return -1;
	buf = xmalloc(INTERP_CFG_MAX + 1);
	for (;;) {
		ssize_t r = read(fd, buf + len, INTERP_CFG_MAX + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (len += (size_t)r) > INTERP_CFG_MAX) {
			if (r < 0 || len > INTERP_CFG_MAX) {
				free(buf);
				close(fd);
				return -1;
			}
			break;
		}
	}
	close(fd);
	*out = buf;
	return (ssize_t)len;
}

/* Key for the facts of python_path shared across the venvs of one interpreter. */
char *interp_cache_key(const char *python_path, const char *venv_dir)
{
	const char *rel = interp__below(python_path, venv_dir);
	char *real = NULL, *cfgpath, *cfg = NULL, *key = NULL;
	uint8_t d[HASH_SHA256_LEN];
	char hex[2 * HASH_SHA256_LEN + 1];
	struct hash_sha256 h;
	struct stat st;
	ssize_t n;

	if (rel == NULL || stat(venv_dir, &st) < 0)
		return NULL;
	cfgpath = xasprintf("%s/pyvenv.cfg", venv_dir);
	n = interp__read_small(cfgpath, &cfg);
	free(cfgpath);
	if (n < 0 || (real = realpath(python_path, NULL)) == NULL)
		goto out;
	hash_sha256_init(&h);
	hash_sha256_update(&h, rel, strlen(rel) + 1);
	for (const char *p = cfg, *end = cfg + n; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl + 1 : end;
		if (!interp__cfg_own(p, (size_t)(le - p)))
			hash_sha256_update(&h, p, (size_t)(le - p));
		p = le;
	}
	hash_sha256_final(&h, d);
	hash_to_hex(d, sizeof(d), hex);
	/* The owner: in system mode one user's venv never decides another's facts. */
	key = xasprintf("interp2 uid=%u cfg=%s %s", (unsigned)st.st_uid, hex, real);
out:
	free(real);
	free(cfg);
	return key;
}

/* Milliseconds on the monotonic clock. */
static long long interp__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Read the child's stdout and stderr until both close, the output bound is
 * hit, or the deadline passes. Returns 0, -E2BIG or -ETIMEDOUT.
 */
static int interp__drain(int ofd, int efd, struct strbuf *out, struct strbuf *errb)
{
	long long deadline = interp__now_ms() + INTERP_PROBE_TIMEOUT * 1000LL;
	struct pollfd pf[2] = {{ofd, POLLIN, 0}, {efd, POLLIN, 0}};
	char buf[4096];

	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		long long left = deadline - interp__now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		int n = poll(pf, 2, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || pf[i].revents == 0)
				continue;
			ssize_t r = read(pf[i].fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				pf[i].fd = -1;
				continue;
			}
			struct strbuf *sb = i == 0 ? out : errb;
			if (sb->len + (size_t)r > INTERP_OUTPUT_MAX)
				return -E2BIG;
			strbuf_add(sb, buf, (size_t)r);
		}
	}
	return 0;
}

/* Spawn python -I -S -c script venv_dir with piped stdout/stderr and an empty environment. */
static int interp__spawn(const char *python, const char *venv_dir, pid_t *pid, int *ofd, int *efd)
{
	int op[2] = {-1, -1}, ep[2] = {-1, -1}, rc;
	posix_spawn_file_actions_t fa;
	char *argv[] = {(char *)python,	  "-I", "-S", "-c", (char *)interp__script,
			(char *)venv_dir, NULL};
	char *envp[] = {"LC_ALL=C.UTF-8", NULL};

	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		rc = -errno;
		goto fail;
	}
	if (ident_active()) {
		/* System mode: the user's interpreter runs as the user, without capabilities. */
		rc = ident_spawn(python, argv, envp, op[1], ep[1], pid);
		if (rc < 0)
			goto fail;
		goto spawned;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	rc = -posix_spawn(pid, python, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc < 0)
		goto fail;
spawned:
	close(op[1]);
	close(ep[1]);
	*ofd = op[0];
	*efd = ep[0];
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (op[i] >= 0)
			close(op[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	return rc;
}

/* Probe python_path for the venv at venv_dir. */
int interp_probe(const char *python_path, const char *venv_dir, struct interp_facts *out,
		 struct err *err)
{
	struct strbuf ob = STRBUF_INIT, eb = STRBUF_INIT;
	int ofd = -1, efd = -1, status = 0, rc;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	rc = interp__spawn(python_path, venv_dir, &pid, &ofd, &efd);
	if (rc < 0)
		return err_set(err, rc, "cannot run the venv's interpreter %s: %s", python_path,
			       strerror(-rc));
	rc = interp__drain(ofd, efd, &ob, &eb);
	close(ofd);
	close(efd);
	if (rc < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == -ETIMEDOUT) {
		err_set(err, rc, "interpreter %s did not answer within %d s", python_path,
			INTERP_PROBE_TIMEOUT);
		goto out;
	}
	if (rc < 0) {
		err_set(err, rc, "interpreter %s: reading its answer: %s", python_path,
			rc == -E2BIG ? "output too long" : strerror(-rc));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* Its stderr's last line usually says why (e.g. a missing stdlib). */
		const char *tail = eb.buf ? eb.buf : "";
		size_t tl = eb.len;
		while (tl > 0 && (tail[tl - 1] == '\n' || tail[tl - 1] == '\r'))
			tl--;
		const char *ls = tail + tl;
		while (ls > tail && ls[-1] != '\n')
			ls--;
		rc = err_set(err, -WHLC_EINCOMPAT, "interpreter %s failed (%s %d)%s%.*s",
			     python_path, WIFEXITED(status) ? "exit status" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			     tl ? ": " : "", (int)((tail + tl - ls) > 300 ? 300 : (tail + tl - ls)),
			     ls);
		goto out;
	}
	rc = interp_facts_parse(ob.buf ? ob.buf : "", ob.len, out, err);
	if (rc < 0)
		err_prefix(err, "interpreter %s", python_path);
out:
	strbuf_free(&ob);
	strbuf_free(&eb);
	return rc;
}
