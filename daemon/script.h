/* script.h: shebang lines for a venv's interpreter and the `#!python` rewrite of .data/scripts. */
#ifndef WHLC_SCRIPT_H
#define WHLC_SCRIPT_H

#include <stddef.h>

#include "strbuf.h"

/* Longest shebang line Linux honours, counting "#!" and the newline (distlib's limit). */
#define SCRIPT_SHEBANG_MAX 127

/*
 * Append the shebang for executable, exactly as pip's distlib ScriptMaker
 * builds it on Linux: `#!<exe>\n`; when the path holds a space it is quoted,
 * and when it holds a space or the line would exceed 127 bytes the /bin/sh
 * trick is written instead (spec D.17):
 *   #!/bin/sh
 *   '''exec' <exe, quoted if it holds a space> "$0" "$@"
 *   ' '''
 */
void script_shebang(struct strbuf *sb, const char *executable);

/* True when data starts with exactly the bytes `#!python` (spec D.15). */
int script_wants_rewrite(const void *data, size_t len);

/*
 * Replace the whole first line (arguments and a `\r` included) of a
 * `#!python` script with script_shebang(executable); the rest is kept
 * byte for byte (spec D.16). A file without a newline becomes the shebang alone.
 */
void script_rewrite(const void *data, size_t len, const char *executable, struct strbuf *out);

#endif
