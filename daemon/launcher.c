/* launcher.c: pip's launcher list (with its pip/easy_install special case) and launcher text. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher.h"
#include "script.h"
#include "xalloc.h"

/* True when s is `\w+(\.\w+)*` with \w taken as ASCII alnum, `_` or any non-ASCII byte. */
static int launcher__dotted(const char *s)
{
	int seg = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '.') {
			if (seg == 0)
				return 0;
			seg = 0;
		} else if (c == '_' || c >= 0x80 || (c >= '0' && c <= '9') ||
			   ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
			seg++;
		} else {
			return 0;
		}
	}
	return seg > 0;
}

/* Add or replace (last wins, first position kept) a launcher. */
static void launcher__put(struct launchers *l, const char *name, const struct entry_point *e,
			  int gui)
{
	struct launcher *x = NULL;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			x = &l->v[i];
	if (x == NULL) {
		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		x = &l->v[l->n++];
		x->name = xstrdup(name);
	} else {
		free(x->module);
		free(x->attr);
	}
	x->module = xstrdup(e->module);
	x->attr = xstrdup(e->attr);
	x->gui = gui;
}

/* pip's `pip(\d+(\.\d+)?)?$`. */
static int launcher__is_pip_name(const char *n)
{
	if (strncmp(n, "pip", 3) != 0)
		return 0;
	n += 3;
	if (*n == '\0')
		return 1;
	if (*n < '0' || *n > '9')
		return 0;
	while (*n >= '0' && *n <= '9')
		n++;
	if (*n == '.') {
		n++;
		if (*n < '0' || *n > '9')
			return 0;
		while (*n >= '0' && *n <= '9')
			n++;
	}
	return *n == '\0';
}

/* pip's `easy_install(-\d+\.\d+)?$`. */
static int launcher__is_easy_install_name(const char *n)
{
	if (strncmp(n, "easy_install", 12) != 0)
		return 0;
	n += 12;
	if (*n == '\0')
		return 1;
	if (*n++ != '-' || *n < '0' || *n > '9')
		return 0;
	while (*n >= '0' && *n <= '9')
		n++;
	if (*n++ != '.' || *n < '0' || *n > '9')
		return 0;
	while (*n >= '0' && *n <= '9')
		n++;
	return *n == '\0';
}

/* Check one entry for launcher generation. */
static int launcher__check(const struct entry_point *e, struct err *err)
{
	int rc = entrypoints_check_script(e, err);
	if (rc < 0)
		return rc;
	if (!launcher__dotted(e->module) || !launcher__dotted(e->attr))
		return err_set(err, -WHLC_EBADWHEEL,
			       "entry point '%s' in [%s]: '%s:%s' is not a module:callable made of "
			       "dotted Python identifiers",
			       e->name, e->group, e->module, e->attr);
	return 0;
}

/* Last entry of group named name, or NULL (a dict in pip keeps the last value). */
static const struct entry_point *launcher__find(const struct entry_points *eps, const char *group,
						const char *name)
{
	const struct entry_point *r = NULL;
	for (size_t i = 0; i < eps->n; i++)
		if (!strcmp(eps->v[i].group, group) && !strcmp(eps->v[i].name, name))
			r = &eps->v[i];
	return r;
}

/* The launchers pip would write. */
int launcher_plan(const struct entry_points *eps, int major, int minor, struct launchers *out,
		  struct err *err)
{
	const struct entry_point *pip, *ei;
	char name[64];
	int rc;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < eps->n; i++) {
		const struct entry_point *e = &eps->v[i];
		if (strcmp(e->group, "console_scripts") && strcmp(e->group, "gui_scripts"))
			continue;
		rc = launcher__check(e, err);
		if (rc < 0)
			goto fail;
	}
	pip = launcher__find(eps, "console_scripts", "pip");
	ei = launcher__find(eps, "console_scripts", "easy_install");
	if (pip != NULL) {
		launcher__put(out, "pip", pip, 0);
		snprintf(name, sizeof(name), "pip%d", major);
		launcher__put(out, name, pip, 0);
		snprintf(name, sizeof(name), "pip%d.%d", major, minor);
		launcher__put(out, name, pip, 0);
	}
	if (ei != NULL) {
		launcher__put(out, "easy_install", ei, 0);
		snprintf(name, sizeof(name), "easy_install-%d.%d", major, minor);
		launcher__put(out, name, ei, 0);
	}
	for (int gui = 0; gui < 2; gui++) {
		const char *group = gui ? "gui_scripts" : "console_scripts";
		for (size_t i = 0; i < eps->n; i++) {
			const struct entry_point *e = &eps->v[i];
			if (strcmp(e->group, group) != 0)
				continue;
			if (!gui && ((pip && launcher__is_pip_name(e->name)) ||
				     (ei && launcher__is_easy_install_name(e->name))))
				continue;
			/* A dict keeps the first position and the last value. */
			launcher__put(out, e->name, launcher__find(eps, group, e->name), gui);
		}
	}
	return 0;
fail:
	launchers_free(out);
	return rc;
}

/* Free the list. */
void launchers_free(struct launchers *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].module);
		free(l->v[i].attr);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Append the launcher's bytes. */
void launcher_render(const struct launcher *l, const char *executable, struct strbuf *out)
{
	size_t head = strcspn(l->attr, ".");

	script_shebang(out, executable);
	strbuf_adds(out, "# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom ");
	strbuf_adds(out, l->module);
	strbuf_adds(out, " import ");
	strbuf_add(out, l->attr, head);
	strbuf_adds(out, "\nif __name__ == '__main__':\n"
			 "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
			 "    sys.exit(");
	strbuf_adds(out, l->attr);
	strbuf_adds(out, "())\n");
}
