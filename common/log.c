/* log.c: timestamped log lines to a file descriptor. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *const log__names[] = {"error", "warn", "info", "debug"};

/* Set up l to write lines of at most level to fd. */
void log_init(struct log *l, int fd, enum log_level level, const char *prog)
{
	l->fd = fd;
	l->level = level;
	l->prog = prog;
}

/* Parse a level name; 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i <= LOGL_DEBUG; i++) {
		if (strcasecmp(s, log__names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOGL_WARN;
		return 0;
	}
	return -EINVAL;
}

/* Name of a level. */
const char *log_level_name(enum log_level level)
{
	return level <= LOGL_DEBUG ? log__names[level] : "?";
}

/* Write one line if level is enabled (va_list version). */
void log_vmsg(struct log *l, enum log_level level, const char *fmt, va_list ap)
{
	char line[4096];
	struct timeval tv;
	struct tm tm;
	size_t n;
	int k;

	if (l == NULL || level > l->level || l->fd < 0)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
	k = snprintf(line + n, sizeof(line) - n, ".%03ld %s[%ld] %s: ", (long)tv.tv_usec / 1000,
		     l->prog, (long)getpid(), log_level_name(level));
	if (k > 0)
		n += (size_t)k;
	if (n < sizeof(line)) {
		k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		if (k > 0)
			n += (size_t)k;
	}
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2; /* long lines are truncated */
	line[n++] = '\n';
	/* One write per line keeps lines from several threads whole. */
	while (write(l->fd, line, n) < 0 && errno == EINTR)
		;
}

/* Write one line "TIMESTAMP prog[pid] level: message" if level is enabled. */
void log_msg(struct log *l, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(l, level, fmt, ap);
	va_end(ap);
}
