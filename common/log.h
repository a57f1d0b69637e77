/* log.h: timestamped log lines to a file descriptor (stderr or the daemon log file). */
#ifndef WHLC_LOG_H
#define WHLC_LOG_H

#include <stdarg.h>

enum log_level {
	LOGL_ERROR = 0,
	LOGL_WARN = 1,
	LOGL_INFO = 2,
	LOGL_DEBUG = 3,
};

/* A log sink. Thread-safe: each line is written with one write(2). */
struct log {
	int fd;
	enum log_level level;
	const char *prog; /* "whlcd" */
};

/* Set up l to write lines of at most level to fd. */
void log_init(struct log *l, int fd, enum log_level level, const char *prog);

/* Parse "error", "warn", "info" or "debug"; 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);

/* Name of a level. */
const char *log_level_name(enum log_level level);

/* Write one line "TIMESTAMP prog[pid] level: message" if level is enabled. */
void log_msg(struct log *l, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vmsg(struct log *l, enum log_level level, const char *fmt, va_list ap);

#define log_error(l, ...) log_msg((l), LOGL_ERROR, __VA_ARGS__)
#define log_warn(l, ...)  log_msg((l), LOGL_WARN, __VA_ARGS__)
#define log_info(l, ...)  log_msg((l), LOGL_INFO, __VA_ARGS__)
#define log_debug(l, ...) log_msg((l), LOGL_DEBUG, __VA_ARGS__)

#endif
