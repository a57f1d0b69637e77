/* paths.c: where the socket, lock, cache and log files live, and checks on them. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "paths.h"
#include "xalloc.h"

/* Non-empty environment variable or NULL. */
static const char *paths__env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* Make p absolute relative to the current directory (malloc'd). */
static char *paths__abs(const char *p, struct err *e)
{
	char cwd[4096];

	if (p[0] == '/')
		return xstrdup(p);
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		err_set(e, -errno, "cannot resolve relative path %s: getcwd: %s", p,
			strerror(errno));
		return NULL;
	}
	return xasprintf("%s/%s", cwd, p);
}

/* Socket path resolution (see paths.h). */
char *paths_socket(const char *opt, struct err *e)
{
	const char *v;

	if (opt != NULL && *opt != '\0')
		return paths__abs(opt, e);
	if ((v = paths__env("WHLC_SOCKET")) != NULL)
		return paths__abs(v, e);
	if ((v = paths__env("XDG_RUNTIME_DIR")) != NULL && v[0] == '/')
		return xasprintf("%s/whlc/whlcd.sock", v);
	return xasprintf("/tmp/whlc-%lu/whlcd.sock", (unsigned long)getuid());
}

/* The system daemon's socket. */
const char *paths_system_socket(void)
{
	const char *v = paths__env("WHLC_SYSTEM_SOCKET");

	return v != NULL && v[0] == '/' ? v : "/run/whlc/whlcd.sock";
}

/* Is there a socket at the system path? */
int paths_system_socket_present(void)
{
	struct stat st;

	return stat(paths_system_socket(), &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Cache directory resolution (see paths.h). */
char *paths_cache_dir(const char *opt, struct err *e)
{
	const char *v;

	if (opt != NULL && *opt != '\0')
		return paths__abs(opt, e);
	if ((v = paths__env("WHLC_CACHE_DIR")) != NULL)
		return paths__abs(v, e);
	if ((v = paths__env("XDG_CACHE_HOME")) != NULL && v[0] == '/')
		return xasprintf("%s/whlc", v);
	if ((v = paths__env("HOME")) == NULL) {
		struct passwd *pw = getpwuid(getuid());
		v = pw != NULL ? pw->pw_dir : NULL;
	}
	if (v == NULL) {
		err_set(e, -ENOENT, "no cache directory: set WHLC_CACHE_DIR or HOME");
		return NULL;
	}
	return xasprintf("%s/.cache/whlc", v);
}

/* "<socket>.lock". */
char *paths_lock_file(const char *socket_path)
{
	return xasprintf("%s.lock", socket_path);
}

/* "<cache>/whlcd.log". */
char *paths_log_file(const char *cache_dir)
{
	return xasprintf("%s/whlcd.log", cache_dir);
}

/* The directory part of path (malloc'd). */
char *paths_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* 0 if path fits in sun_path. */
int paths_check_sun_path(const char *path, struct err *e)
{
	struct sockaddr_un sa;

	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(e, -ENAMETOOLONG,
			       "socket path %s is %zu bytes long; Unix sockets allow at most %zu: "
			       "choose a shorter --socket or WHLC_SOCKET",
			       path, strlen(path), sizeof(sa.sun_path) - 1);
	return 0;
}

/* Create dir and its missing parents with mode. */
int paths_mkdir_p(const char *dir, mode_t mode, struct err *e)
{
	char *p = xstrdup(dir);
	int rc = 0;

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			rc = err_set(e, -errno, "cannot create directory %s: %s", p,
				     strerror(errno));
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

/* lstat the socket directory dir into st; it must be a directory, not a symlink. */
static int paths__socket_dir_stat(const char *dir, struct stat *st, struct err *e)
{
	if (lstat(dir, st) < 0)
		return err_set(e, -errno, "cannot stat socket directory %s: %s", dir,
			       strerror(errno));
	if (!S_ISDIR(st->st_mode))
		return err_set(e, -ENOTDIR,
			       "socket directory %s is not a directory (or is a symlink): remove "
			       "it or choose another --socket",
			       dir);
	return 0;
}

/* Create dir 0700 if missing and check it is private to uid. */
int paths_private_dir(const char *dir, uid_t uid, struct err *e)
{
	struct stat st;
	char *parent = paths_dirname(dir);
	int rc = paths_mkdir_p(parent, 0700, e);

	free(parent);
	if (rc < 0)
		return rc;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return err_set(e, -errno, "cannot create socket directory %s: %s", dir,
			       strerror(errno));
	if ((rc = paths__socket_dir_stat(dir, &st, e)) < 0)
		return rc;
	if (st.st_uid != uid)
		return err_set(e, -EPERM,
			       "socket directory %s is owned by uid %lu, not by you (uid %lu): "
			       "choose another --socket",
			       dir, (unsigned long)st.st_uid, (unsigned long)uid);
	if (st.st_mode & 077)
		return err_set(e, -EPERM,
			       "socket directory %s has mode %04o; it must not be accessible by "
			       "group or others (chmod 700 %s)",
			       dir, (unsigned)(st.st_mode & 07777), dir);
	return 0;
}

/* Create dir 0755 if missing and check that only uid (or root) can write it. */
int paths_shared_dir(const char *dir, uid_t uid, struct err *e)
{
	struct stat st;
	int rc = paths_mkdir_p(dir, 0755, e);

	if (rc < 0)
		return rc;
	if ((rc = paths__socket_dir_stat(dir, &st, e)) < 0)
		return rc;
	/* root owns it when systemd created it for the socket unit. */
	if ((st.st_uid != uid && st.st_uid != 0) || (st.st_mode & 022))
		return err_set(e, -EPERM,
			       "socket directory %s (owner uid %lu, mode %04o) must be owned by "
			       "uid %lu or root and writable by nobody else",
			       dir, (unsigned long)st.st_uid, (unsigned)(st.st_mode & 07777),
			       (unsigned long)uid);
	return 0;
}
