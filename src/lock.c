/* lock.c - dlz_lock: the advisory lock that keeps read-modify-write edits of
 * one archive from losing each other's updates.
 *
 * Saves replace a file by renaming a new one over it, so a lock on the old
 * file's inode does not stop a later process that opens the path after the
 * rename.  A lock is therefore taken on the file the path names and then
 * checked to be still that file; a process that waited on a file that was
 * replaced meanwhile tries again on the new one.  The lock is flock(2): it
 * belongs to the open file, so the reader's own descriptors, opened and
 * closed while the lock is held, do not release it (POSIX record locks would
 * be lost at the first close), and the kernel drops it when the process
 * dies.  Where the file system has no locks (flock fails with ENOLCK,
 * EOPNOTSUPP or EINVAL) the edit proceeds unlocked; the check before the
 * rename still refuses to replace a file that changed. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct dlz_lock {
    int fd;
    char *path;
    struct stat st; /* the file as it was when locked */
    int locked;     /* 0 when the file system has no locks */
};

static void sleep_ms(int64_t ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int same_file(const struct stat *a, const struct stat *b) {
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int unchanged(const struct stat *a, const struct stat *b) {
    return same_file(a, b) && a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int dlzi_lock_acquire(const char *path, int64_t timeout_ms, dlz_lock **out, dlzi_err *err) {
    *out = NULL;
    if (path == NULL || timeout_ms < -1) {
        return dlzi_err_set(err, DLZ_EMISUSE, "dlz_lock_acquire: %s",
                            path == NULL ? "NULL path" : "timeout below -1");
    }
    dlz_lock *l = dlzi_calloc(1, sizeof *l);
    char *p = dlzi_strdup(path);
    if (l == NULL || p == NULL) {
        dlzi_free(l);
        dlzi_free(p);
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    l->path = p;
    l->fd = -1;
    int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    for (;;) {
        l->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (l->fd < 0) {
            int e = errno;
            dlz_lock_release(l);
            return dlzi_err_sys(err, e, "cannot open %s", path);
        }
        int rc = flock(l->fd, LOCK_EX | LOCK_NB);
        int e = errno;
        if (rc != 0 && e == EWOULDBLOCK) {
            close(l->fd);
            l->fd = -1;
            int64_t left = timeout_ms < 0 ? 20 : deadline - now_ms();
            if (timeout_ms == 0 || left <= 0) {
                dlz_lock_release(l);
                return dlzi_err_set(err, DLZ_EBUSY,
                                    "%s is being changed by another process (it holds the "
                                    "archive's lock)",
                                    path);
            }
            sleep_ms(left < 20 ? left : 20);
            continue;
        }
        if (rc != 0 && e != ENOLCK && e != EOPNOTSUPP && e != EINVAL) {
            dlz_lock_release(l);
            return dlzi_err_sys(err, e, "cannot lock %s", path);
        }
        l->locked = rc == 0;
        struct stat now;
        if (fstat(l->fd, &l->st) != 0 || stat(path, &now) != 0) {
            e = errno;
            dlz_lock_release(l);
            return dlzi_err_sys(err, e, "cannot stat %s", path);
        }
        if (same_file(&l->st, &now)) {
            break;
        }
        /* replaced while we waited: lock the new file */
        close(l->fd);
        l->fd = -1;
    }
    *out = l;
    return DLZ_OK;
}

int dlzi_lock_check(const dlz_lock *l, dlzi_err *err) {
    struct stat now;
    if (stat(l->path, &now) != 0) {
        return errno == ENOENT ? dlzi_err_set(err, DLZ_ECONFLICT,
                                              "%s was removed by another process since it was "
                                              "opened; nothing was written",
                                              l->path)
                               : dlzi_err_sys(err, errno, "cannot stat %s", l->path);
    }
    if (!unchanged(&l->st, &now)) {
        return dlzi_err_set(err, DLZ_ECONFLICT,
                            "%s was changed by another process since it was opened; nothing was "
                            "written",
                            l->path);
    }
    return DLZ_OK;
}

int dlzi_lock_fd(const dlz_lock *l) {
    return l->fd;
}

int dlz_lock_acquire(const char *path, int64_t timeout_ms, dlz_lock **out, char *errbuf,
                     size_t errbuf_size) {
    dlzi_err err;
    dlzi_err_clear(&err);
    if (out == NULL) {
        return dlzi_err_to_buf(&err, dlzi_err_set(&err, DLZ_EMISUSE, "NULL out"), errbuf,
                               errbuf_size);
    }
    int rc = dlzi_lock_acquire(path, timeout_ms, out, &err);
    return rc == DLZ_OK ? rc : dlzi_err_to_buf(&err, rc, errbuf, errbuf_size);
}

int dlz_lock_check(const dlz_lock *l, char *errbuf, size_t errbuf_size) {
    dlzi_err err;
    dlzi_err_clear(&err);
    if (l == NULL) {
        return dlzi_err_to_buf(&err, dlzi_err_set(&err, DLZ_EMISUSE, "NULL lock"), errbuf,
                               errbuf_size);
    }
    int rc = dlzi_lock_check(l, &err);
    return rc == DLZ_OK ? rc : dlzi_err_to_buf(&err, rc, errbuf, errbuf_size);
}

int dlz_lock_held(const dlz_lock *l) {
    return l != NULL && l->locked;
}

void dlz_lock_release(dlz_lock *l) {
    if (l == NULL) {
        return;
    }
    if (l->fd >= 0) {
        close(l->fd); /* drops the flock */
    }
    dlzi_free(l->path);
    dlzi_free(l);
}
