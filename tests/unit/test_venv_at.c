/* test_venv_at.c: paths beneath a venv descriptor: in-venv symlinks followed, escapes refused. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/venv_at.h"
#include "xalloc.h"

struct fx {
	char *dir, *venv;
	struct vat at;
};

/* In a temp dir: v/real/sub, v/in -> real, v/esc -> ../out, v/abs -> <abs>/v/real, out/. */
static int setup(void **state)
{
	struct fx *x = xcalloc(1, sizeof(*x));
	char tmpl[] = "/tmp/whlc-vat-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	x->dir = xstrdup(tmpl);
	x->venv = xasprintf("%s/v", x->dir);
	char *p;
	assert_int_equal(mkdir(x->venv, 0755), 0);
	p = xasprintf("%s/real", x->venv), assert_int_equal(mkdir(p, 0755), 0), free(p);
	p = xasprintf("%s/real/sub", x->venv), assert_int_equal(mkdir(p, 0755), 0), free(p);
	p = xasprintf("%s/out", x->dir), assert_int_equal(mkdir(p, 0755), 0), free(p);
	p = xasprintf("%s/in", x->venv), assert_int_equal(symlink("real", p), 0), free(p);
	p = xasprintf("%s/esc", x->venv), assert_int_equal(symlink("../out", p), 0), free(p);
	char *t = xasprintf("%s/real", x->venv);
	p = xasprintf("%s/abs", x->venv), assert_int_equal(symlink(t, p), 0), free(p), free(t);
	vat_init(&x->at, open(x->venv, O_RDONLY | O_DIRECTORY | O_CLOEXEC), x->venv);
	assert_true(x->at.root >= 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	char *cmd = xasprintf("rm -rf '%s'", x->dir);

	close(x->at.root);
	assert_int_equal(system(cmd), 0);
	free(cmd), free(x->dir), free(x->venv), free(x);
	return 0;
}

/* x->venv + "/" + rel. */
static char *in(struct fx *x, const char *rel)
{
	return xasprintf("%s/%s", x->venv, rel);
}

static int exists(const char *dir, const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);
	struct stat st;
	int r = lstat(p, &st) == 0;
	free(p);
	return r;
}

static void test_rel(void **state)
{
	struct fx *x = *state;
	char *p = in(x, "a/b"), *q = xasprintf("%sx/a", x->venv), *r = xasprintf("%s/", x->venv);

	assert_string_equal(vat_rel(&x->at, p), "a/b");
	assert_string_equal(vat_rel(&x->at, x->venv), ".");
	assert_null(vat_rel(&x->at, q)); /* a sibling sharing the prefix */
	assert_null(vat_rel(&x->at, r));
	assert_null(vat_rel(&x->at, "/elsewhere"));
	free(p), free(q), free(r);
	struct vat root;
	vat_init(&root, -1, "/");
	assert_string_equal(vat_rel(&root, "/a"), "a");
	assert_string_equal(vat_rel(&root, "/"), ".");
}

static void test_symlinks_inside_followed_outside_refused(void **state)
{
	struct fx *x = *state;
	char *p, buf[256];
	int fd;

	p = in(x, "in/sub");
	fd = vat_opendir(&x->at, p);
	assert_true(fd >= 0);
	close(fd), free(p);
	p = in(x, "esc");
	assert_int_equal(vat_opendir(&x->at, p), -EXDEV);
	free(p);
	p = in(x, "abs/sub"); /* absolute, even pointing back inside */
	assert_int_equal(vat_opendir(&x->at, p), -EXDEV);
	free(p);
	assert_int_equal(vat_opendir(&x->at, "/tmp"), -EXDEV);
	assert_non_null(strstr(vat_strerror(&x->at, -EXDEV, buf), "leads outside the venv"));
	assert_string_equal(vat_strerror(&x->at, -ENOENT, buf), strerror(ENOENT));
}

static void test_mkdirs(void **state)
{
	struct fx *x = *state;
	char *p = in(x, "in/new/deeper"), *q = in(x, "esc/x/y"), *o = xasprintf("%s/out", x->dir);

	assert_int_equal(vat_mkdirs(&x->at, p), 0);
	assert_int_equal(vat_mkdirs(&x->at, p), 0); /* EEXIST is fine */
	assert_true(exists(x->venv, "real/new/deeper"));
	assert_int_equal(vat_mkdirs(&x->at, q), -EXDEV);
	assert_false(exists(o, "x"));
	assert_int_equal(vat_mkdirs(&x->at, x->venv), 0);
	free(p), free(q), free(o);
}

static void test_parent_cache_and_mkdtemp(void **state)
{
	struct fx *x = *state;
	struct vat_cache c = VAT_CACHE_INIT;
	const char *base;
	char *a = in(x, "in/sub/a.py"), *b = in(x, "in/sub/b.py"), *e = in(x, "esc/c.py");
	char name[64];
	struct stat st;

	int fa = vat_cache_parent(&x->at, &c, a, &base);
	assert_true(fa >= 0);
	assert_string_equal(base, "a.py");
	assert_int_equal(vat_cache_parent(&x->at, &c, b, &base), fa); /* reused */
	assert_string_equal(base, "b.py");
	assert_int_equal(vat_cache_parent(&x->at, &c, e, &base), -EXDEV);
	assert_int_equal(vat_cache_parent(&x->at, &c, e, &base), -EXDEV); /* cached failure */
	vat_cache_close(&c);
	assert_int_equal(vat_openparent(&x->at, x->venv, &base), -EXDEV); /* the venv itself */
	assert_int_equal(vat_mkdtemp(&x->at, ".whlc-stash-", name), 0);
	assert_int_equal(strncmp(name, ".whlc-stash-", 12), 0);
	assert_int_equal(strlen(name), 18);
	assert_int_equal(fstatat(x->at.root, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
	free(a), free(b), free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlinks_inside_followed_outside_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parent_cache_and_mkdtemp, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
