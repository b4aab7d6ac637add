/*
 * wallclock.so: moves the wall clock (CLOCK_REALTIME, gettimeofday, time) of a process and all its
 * children by a fixed number of seconds, WALLCLOCK_OFFSET_S, and nothing else.
 *
 * Why not libfaketime: it also rewrites timed waits (clock_nanosleep, sem_clockwait), and with the
 * monotonic clock left real Python's time.sleep failed with EINVAL; with it faked, lock timeouts hung.
 * Monotonic clocks, sleeps and waits stay real here, so only "what time is it" changes.
 * Used by tools/at-factory-time to run the tests at a chosen hour of the factory's day.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long offset_s(void) {
  static long cached = 0;
  static int loaded = 0;
  if (!loaded) {
    const char *value = getenv("WALLCLOCK_OFFSET_S");
    cached = value ? strtol(value, NULL, 10) : 0;
    loaded = 1;
  }
  return cached;
}

static int is_wall(clockid_t id) {
  return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI;
}

int clock_gettime(clockid_t id, struct timespec *tp) {
  static int (*real)(clockid_t, struct timespec *) = NULL;
  if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
  int rc = real(id, tp);
  if (rc == 0 && tp && is_wall(id)) tp->tv_sec += offset_s();
  return rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  static int (*real)(struct timeval *, void *) = NULL;
  if (!real) real = (int (*)(struct timeval *, void *))dlsym(RTLD_NEXT, "gettimeofday");
  int rc = real(tv, tz);
  if (rc == 0 && tv) tv->tv_sec += offset_s();
  return rc;
}

time_t time(time_t *out) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (out) *out = ts.tv_sec;
  return ts.tv_sec;
}
