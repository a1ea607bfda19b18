/*
 * setrlimit_preload.c -- LD_PRELOAD shim for the test harness only.
 *
 * The test sandbox has no CAP_SYS_RESOURCE, so `sanlock daemon` exits at
 * start when it cannot raise RLIMIT_MEMLOCK and RLIMIT_RTPRIO ("cannot set
 * the limits for memlock"). With this library preloaded, setrlimit(),
 * setrlimit64() and prlimit()/prlimit64() (when they set a new limit)
 * report success without doing anything for those two resources and call
 * the real functions for every other resource. sanlock 3.8 only calls
 * setrlimit(); the others are covered in case a later version changes.
 *
 * This is a test-bed concern; nothing in havmd uses it.
 *
 * Build: cc -shared -fPIC -O2 -o setrlimit_preload.so setrlimit_preload.c -ldl
 * Use:   LD_PRELOAD=/path/setrlimit_preload.so sanlock daemon ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

static int faked(int resource)
{
	return resource == RLIMIT_MEMLOCK || resource == RLIMIT_RTPRIO;
}

static void *real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

int setrlimit(__rlimit_resource_t resource, const struct rlimit *rlim)
{
	int (*fn)(__rlimit_resource_t, const struct rlimit *);

	if (faked((int)resource))
		return 0;
	fn = (int (*)(__rlimit_resource_t, const struct rlimit *))real("setrlimit");
	if (fn == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return fn(resource, rlim);
}

int setrlimit64(__rlimit_resource_t resource, const struct rlimit64 *rlim)
{
	int (*fn)(__rlimit_resource_t, const struct rlimit64 *);

	if (faked((int)resource))
		return 0;
	fn = (int (*)(__rlimit_resource_t, const struct rlimit64 *))real("setrlimit64");
	if (fn == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return fn(resource, rlim);
}

int prlimit(pid_t pid, __rlimit_resource_t resource, const struct rlimit *new_limit,
	    struct rlimit *old_limit)
{
	int (*fn)(pid_t, __rlimit_resource_t, const struct rlimit *, struct rlimit *);

	fn = (int (*)(pid_t, __rlimit_resource_t, const struct rlimit *, struct rlimit *))
		real("prlimit");
	if (fn == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (new_limit != NULL && faked((int)resource))
		return old_limit != NULL ? fn(pid, resource, NULL, old_limit) : 0;
	return fn(pid, resource, new_limit, old_limit);
}

int prlimit64(pid_t pid, __rlimit_resource_t resource, const struct rlimit64 *new_limit,
	      struct rlimit64 *old_limit)
{
	int (*fn)(pid_t, __rlimit_resource_t, const struct rlimit64 *, struct rlimit64 *);

	fn = (int (*)(pid_t, __rlimit_resource_t, const struct rlimit64 *, struct rlimit64 *))
		real("prlimit64");
	if (fn == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (new_limit != NULL && faked((int)resource))
		return old_limit != NULL ? fn(pid, resource, NULL, old_limit) : 0;
	return fn(pid, resource, new_limit, old_limit);
}
