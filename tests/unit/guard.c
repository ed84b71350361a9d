/* tests/unit/guard.c: inputs that end right before a PROT_NONE page. */
#include "autoconfig.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard.h"

static size_t page_size(void)
{
	long n = sysconf(_SC_PAGESIZE);

	return n > 0 ? (size_t)n : 4096;
}

/* At least one usable page and room for len bytes, then the guard page. */
static int guard_map(struct guard *g, size_t len)
{
	size_t page = page_size();
	size_t usable = (len / page + 1) * page;
	char *map = mmap(NULL, usable + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (map == MAP_FAILED)
		return -1;
	if (mprotect(map + usable, page, PROT_NONE) != 0) {
		munmap(map, usable + page);
		return -1;
	}
	guard_release(g);
	g->map = map;
	g->usable = usable;
	return 0;
}

const char *guard_place(struct guard *g, const void *data, size_t len)
{
	char *dst;

	if ((g->map == NULL || len > g->usable) && guard_map(g, len) != 0)
		return NULL;
	dst = g->map + g->usable - len;
	if (len != 0)
		memcpy(dst, data, len);
	return dst;
}

void guard_release(struct guard *g)
{
	if (g->map != NULL)
		munmap(g->map, g->usable + page_size());
	g->map = NULL;
	g->usable = 0;
}
