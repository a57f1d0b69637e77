/* script.c: shebang construction (distlib's rules) and the `#!python` rewrite. */
#include "config.h"

#include <string.h>

#include "script.h"

/* Append the shebang for executable, distlib-style. */
void script_shebang(struct strbuf *sb, const char *executable)
{
	int space = strchr(executable, ' ') != NULL;
	/* distlib quotes a spaced path, and measures the quoted form. */
	size_t len = strlen(executable) + (space ? 2 : 0) + 3;

	if (!space && len <= SCRIPT_SHEBANG_MAX) {
		strbuf_adds(sb, "#!");
		strbuf_adds(sb, executable);
		strbuf_addc(sb, '\n');
		return;
	}
	strbuf_adds(sb, "#!/bin/sh\n'''exec' ");
	if (space)
		strbuf_addc(sb, '"');
	strbuf_adds(sb, executable);
	if (space)
		strbuf_addc(sb, '"');
	strbuf_adds(sb, " \"$0\" \"$@\"\n' '''\n");
}

/* True when data starts with `#!python`. */
int script_wants_rewrite(const void *data, size_t len)
{
	return len >= 8 && memcmp(data, "#!python", 8) == 0;
}

/* Rewrite the first line of a `#!python` script. */
void script_rewrite(const void *data, size_t len, const char *executable, struct strbuf *out)
{
	const char *nl = memchr(data, '\n', len);

	script_shebang(out, executable);
	if (nl != NULL)
		strbuf_add(out, nl + 1, len - (size_t)(nl + 1 - (const char *)data));
}
