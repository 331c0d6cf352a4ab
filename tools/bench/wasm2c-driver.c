/* The wasm2c engine of the ts2native kernel benchmark (tools/bench/README.md).
 *
 * Linked with one kernel translated by `wasm2c -n bench` (bench.c/bench.h, found through -I) and
 * wabt's runtime (wasm-rt-impl.c), all compiled by gcc -O2. Speaks the subset of ts2native's
 * serve protocol the benchmark uses, on stdin/stdout:
 *
 *   -> I ok                           after instantiation (start-up is never timed)
 *   <- C <export index> <arg>         hex; the index in export-section order (argv names which
 *   -> R <result> <ns>                export is `run` and which is `nop`); ns: the call's own
 *   -> T <code>                       CLOCK_MONOTONIC time, a cross-check of the benchmark's
 *   <- Q (or end of input)            method; T: the call trapped (wasm_rt trap code)
 *
 * usage: NAME.w2c <index of run> <index of nop> [--no-timer]     (indices in decimal)
 *   --no-timer: no clock reads and no <ns> field, so that valgrind counts of a `run` process and
 *   a `nop` process differ by the call alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "wasm-rt-impl.h"

static unsigned long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

int main(int argc, char **argv) {
  const int timer = !(argc == 4 && strcmp(argv[3], "--no-timer") == 0);
  if (argc != 3 && timer) {
    fprintf(stderr, "usage: %s <index of run> <index of nop> [--no-timer]\n", argv[0]);
    return 2;
  }
  const unsigned long run_index = strtoul(argv[1], NULL, 10);
  const unsigned long nop_index = strtoul(argv[2], NULL, 10);
  setvbuf(stdout, NULL, _IOLBF, 0);

  static Z_bench_instance_t instance;
  wasm_rt_init();
  Z_bench_init_module();
  Z_bench_instantiate(&instance);
  printf("I ok\n");

  char line[256];
  while (fgets(line, sizeof line, stdin) != NULL) {
    if (line[0] == 'Q') break;
    unsigned long index = 0, arg = 0;
    if (sscanf(line, "C %lx %lx", &index, &arg) != 2 || (index != run_index && index != nop_index)) {
      printf("E bad command\n");
      continue;
    }
    u32 result = 0;
    unsigned long long t0 = 0, t1 = 0;
    wasm_rt_trap_t trap = (wasm_rt_trap_t)wasm_rt_impl_try();
    if (trap != 0) {
      printf("T %x\n", (unsigned)trap);
      continue;
    }
    if (timer) t0 = now_ns();
    if (index == run_index) result = Z_benchZ_run(&instance, (u32)arg);
    else result = Z_benchZ_nop(&instance, (u32)arg);
    if (timer) {
      t1 = now_ns();
      printf("R %08x %llu\n", (unsigned)result, t1 - t0);
    } else {
      printf("R %08x\n", (unsigned)result);
    }
  }
  Z_bench_free(&instance);
  wasm_rt_free();
  return 0;
}
