// An LD_PRELOAD malloc counter for bench:tiny's "native mallocs per task": every
// malloc/calloc/realloc/memalign in the process (all threads) increments one counter in a
// shared file mapping named by COREPOOL_MALLOC_COUNTER_FILE, which the benchmark reads
// with plain fs reads before and after a round. Built on demand (cc -shared -fPIC -O2).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static uint64_t early; // counts made before the mapping exists
static uint64_t *counter = &early;

__attribute__((constructor)) static void map_counter(void) {
  const char *file = getenv("COREPOOL_MALLOC_COUNTER_FILE");
  if (file == NULL) return;
  int fd = open(file, O_RDWR | O_CREAT, 0600);
  if (fd < 0) return;
  if (ftruncate(fd, 4096) == 0) {
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) counter = (uint64_t *)p;
  }
  close(fd);
}

static inline void count(void) { __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }

void *malloc(size_t n) { count(); return __libc_malloc(n); }
void *calloc(size_t n, size_t size) { count(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t n) { count(); return __libc_realloc(p, n); }
void *memalign(size_t align, size_t n) { count(); return __libc_memalign(align, n); }
void *aligned_alloc(size_t align, size_t n) { count(); return __libc_memalign(align, n); }
int posix_memalign(void **out, size_t align, size_t n) {
  count();
  void *p = __libc_memalign(align, n);
  if (p == NULL) return 12; // ENOMEM
  *out = p;
  return 0;
}
