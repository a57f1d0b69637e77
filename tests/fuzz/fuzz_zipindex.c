/* fuzz_zipindex.c: zip_index_read (central directory and hostile-archive checks) on a memfd. */
#include "config.h"

#include <sys/mman.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "zipcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-zip", MFD_CLOEXEC);
	struct zip_index zi;
	struct zip_limits lim;
	struct err e;

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	zip_limits_default(&lim);
	lim.ratio_min_size = 4096; /* reach the ratio checks with small inputs */
	if (zip_index_read(fd, size, &lim, &zi, &e) == 0) {
		for (size_t i = 0; i < zi.n; i++)
			if (zip_index_find(&zi, zi.v[i].name) == NULL)
				abort();
		zip_index_free(&zi);
	}
	close(fd);
	return 0;
}
