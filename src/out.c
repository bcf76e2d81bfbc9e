/* out.c - output sinks: an atomic, durable file replacement for paths, and
 * strictly sequential writers for FILE*, descriptors, callbacks and memory.
 * Callers buffer; every sink writes what it is given. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- path: temporary file in the target's directory, then rename -------- */

typedef struct path_sink {
    char *path; /* target */
    char *tmp;  /* temporary file, same directory */
    char *dir;  /* directory to fsync after the rename */
    int fd;
} path_sink;

static int write_all_fd(int fd, const void *buf, size_t n, dlzi_err *err, const char *what) {
    const unsigned char *p = buf;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            return dlzi_err_sys(err, errno, "cannot write %s", what);
        }
        p += k;
        n -= (size_t)k;
    }
    return DLZ_OK;
}

static int path_write(dlzi_out *o, const void *buf, size_t n) {
    path_sink *s = o->ctx;
    return write_all_fd(s->fd, buf, n, o->err, s->tmp);
}

static void path_free(path_sink *s) {
    dlzi_free(s->path);
    dlzi_free(s->tmp);
    dlzi_free(s->dir);
    dlzi_free(s);
}

static void path_discard(dlzi_out *o) {
    path_sink *s = o->ctx;
    if (s == NULL) {
        return;
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    unlink(s->tmp);
    path_free(s);
    o->ctx = NULL;
}

static int path_finish(dlzi_out *o) {
    path_sink *s = o->ctx;
    int rc = DLZ_OK;
    if (fsync(s->fd) != 0) {
        rc = dlzi_err_sys(o->err, errno, "cannot sync %s", s->tmp);
    }
    if (close(s->fd) != 0 && rc == DLZ_OK) {
        rc = dlzi_err_sys(o->err, errno, "cannot close %s", s->tmp);
    }
    s->fd = -1;
    if (rc == DLZ_OK && o->precommit != NULL) {
        rc = o->precommit(o->precommit_ctx, o->err);
    }
    if (rc == DLZ_OK && rename(s->tmp, s->path) != 0) {
        rc = dlzi_err_sys(o->err, errno, "cannot rename %s to %s", s->tmp, s->path);
    }
    if (rc != DLZ_OK) {
        unlink(s->tmp);
        path_free(s);
        o->ctx = NULL;
        return rc;
    }
    /* The rename is durable only once the directory is synced. */
    int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        rc = dlzi_err_sys(o->err, errno, "cannot open directory %s", s->dir);
    } else {
        if (fsync(dfd) != 0 && errno != EINVAL) {
            rc = dlzi_err_sys(o->err, errno, "cannot sync directory %s", s->dir);
        }
        close(dfd);
    }
    path_free(s);
    o->ctx = NULL;
    return rc;
}

int dlzi_out_path(dlzi_out *o, const char *path, dlzi_err *err) {
    memset(o, 0, sizeof *o);
    o->err = err;
    size_t n = strlen(path);
    if (n == 0) {
        return dlzi_err_set(err, DLZ_EMISUSE, "empty output path");
    }
    path_sink *s = dlzi_calloc(1, sizeof *s);
    if (s == NULL) {
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    s->fd = -1;
    s->path = dlzi_strdup(path);
    s->dir = dlzi_malloc(n + 2);
    s->tmp = dlzi_malloc(n + 32);
    if (s->path == NULL || s->dir == NULL || s->tmp == NULL) {
        path_free(s);
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        strcpy(s->dir, ".");
    } else if (slash == path) {
        strcpy(s->dir, "/");
    } else {
        memcpy(s->dir, path, (size_t)(slash - path));
        s->dir[slash - path] = '\0';
    }
    const char *base = slash ? slash + 1 : path;
    if (*base == '\0') {
        path_free(s);
        return dlzi_err_set(err, DLZ_EMISUSE, "output path %s names a directory", path);
    }
    /* The existing file's permissions carry over; a new file gets 0666 less
       the umask, as with fopen(). */
    struct stat st;
    int have_old = stat(path, &st) == 0;
    if (have_old && !S_ISREG(st.st_mode)) {
        path_free(s);
        return dlzi_err_set(err, DLZ_EMISUSE, "%s exists and is not a regular file", path);
    }
    static unsigned counter;
    unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL) ^ (unsigned)(uintptr_t)s;
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned r = seed * 2654435761u + ++counter * 40503u + (unsigned)attempt;
        snprintf(s->tmp, n + 32, "%.*s.%s.dlz-%08x", (int)(base - path), path, base, r);
        s->fd = open(s->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (s->fd >= 0 || errno != EEXIST) {
            break;
        }
    }
    if (s->fd < 0) {
        int e = errno;
        dlzi_err_sys(err, e, "cannot create a temporary file next to %s", path);
        path_free(s);
        return DLZ_EIO;
    }
    if (have_old && fchmod(s->fd, st.st_mode & 07777) != 0) {
        int e = errno;
        close(s->fd);
        unlink(s->tmp);
        dlzi_err_sys(err, e, "cannot set the permissions of %s", s->tmp);
        path_free(s);
        return DLZ_EIO;
    }
    o->ctx = s;
    o->write = path_write;
    o->finish = path_finish;
    o->discard = path_discard;
    return DLZ_OK;
}

/* ---- FILE* -------------------------------------------------------------- */

typedef struct file_sink {
    FILE *fp;
    int own;
} file_sink;

static int file_write(dlzi_out *o, const void *buf, size_t n) {
    file_sink *s = o->ctx;
    if (n > 0 && fwrite(buf, 1, n, s->fp) != n) {
        return dlzi_err_sys(o->err, errno ? errno : EIO, "cannot write to the output stream");
    }
    return DLZ_OK;
}

static int file_finish(dlzi_out *o) {
    file_sink *s = o->ctx;
    int rc = DLZ_OK;
    if (fflush(s->fp) != 0) {
        rc = dlzi_err_sys(o->err, errno, "cannot flush the output stream");
    }
    if (s->own && fclose(s->fp) != 0 && rc == DLZ_OK) {
        rc = dlzi_err_sys(o->err, errno, "cannot close the output stream");
    }
    dlzi_free(s);
    o->ctx = NULL;
    return rc;
}

static void file_discard(dlzi_out *o) {
    file_sink *s = o->ctx;
    if (s == NULL) {
        return;
    }
    if (s->own) {
        fclose(s->fp);
    } else {
        fflush(s->fp);
    }
    dlzi_free(s);
    o->ctx = NULL;
}

int dlzi_out_FILE(dlzi_out *o, FILE *fp, unsigned flags, dlzi_err *err) {
    memset(o, 0, sizeof *o);
    o->err = err;
    file_sink *s = dlzi_calloc(1, sizeof *s);
    if (s == NULL) {
        if (!(flags & DLZ_KEEP_OPEN)) {
            fclose(fp);
        }
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    s->fp = fp;
    s->own = !(flags & DLZ_KEEP_OPEN);
    o->ctx = s;
    o->write = file_write;
    o->finish = file_finish;
    o->discard = file_discard;
    return DLZ_OK;
}

/* ---- file descriptor ---------------------------------------------------- */

typedef struct fd_sink {
    int fd;
    int own;
} fd_sink;

static int fd_write(dlzi_out *o, const void *buf, size_t n) {
    fd_sink *s = o->ctx;
    return write_all_fd(s->fd, buf, n, o->err, "the output descriptor");
}

static int fd_finish(dlzi_out *o) {
    fd_sink *s = o->ctx;
    int rc = DLZ_OK;
    if (s->own && close(s->fd) != 0) {
        rc = dlzi_err_sys(o->err, errno, "cannot close the output descriptor");
    }
    dlzi_free(s);
    o->ctx = NULL;
    return rc;
}

static void fd_discard(dlzi_out *o) {
    fd_sink *s = o->ctx;
    if (s == NULL) {
        return;
    }
    if (s->own) {
        close(s->fd);
    }
    dlzi_free(s);
    o->ctx = NULL;
}

int dlzi_out_fd(dlzi_out *o, int fd, unsigned flags, dlzi_err *err) {
    memset(o, 0, sizeof *o);
    o->err = err;
    if (fd < 0) {
        return dlzi_err_set(err, DLZ_EMISUSE, "invalid file descriptor %d", fd);
    }
    fd_sink *s = dlzi_calloc(1, sizeof *s);
    if (s == NULL) {
        if (!(flags & DLZ_KEEP_OPEN)) {
            close(fd);
        }
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    s->fd = fd;
    s->own = !(flags & DLZ_KEEP_OPEN);
    o->ctx = s;
    o->write = fd_write;
    o->finish = fd_finish;
    o->discard = fd_discard;
    return DLZ_OK;
}

/* ---- user callbacks ----------------------------------------------------- */

typedef struct io_sink {
    dlz_io io;
    void *user;
    int own;
} io_sink;

static int io_write(dlzi_out *o, const void *buf, size_t n) {
    io_sink *s = o->ctx;
    const unsigned char *p = buf;
    while (n > 0) {
        int64_t k = s->io.write(s->user, p, n);
        if (k <= 0 || (uint64_t)k > n) {
            return dlzi_err_set(o->err, DLZ_EIO, "the write callback failed (returned %" PRId64 ")",
                                k);
        }
        p += k;
        n -= (size_t)k;
    }
    return DLZ_OK;
}

static int io_finish(dlzi_out *o) {
    io_sink *s = o->ctx;
    int rc = DLZ_OK;
    if (s->own && s->io.close != NULL && s->io.close(s->user) != 0) {
        rc = dlzi_err_set(o->err, DLZ_EIO, "the close callback failed");
    }
    dlzi_free(s);
    o->ctx = NULL;
    return rc;
}

static void io_discard(dlzi_out *o) {
    io_sink *s = o->ctx;
    if (s == NULL) {
        return;
    }
    if (s->own && s->io.close != NULL) {
        s->io.close(s->user);
    }
    dlzi_free(s);
    o->ctx = NULL;
}

int dlzi_out_io(dlzi_out *o, const dlz_io *io, void *user, unsigned flags, dlzi_err *err) {
    memset(o, 0, sizeof *o);
    o->err = err;
    if (io == NULL || io->version != DLZ_IO_VERSION || io->write == NULL) {
        if (io != NULL && io->close != NULL && !(flags & DLZ_KEEP_OPEN)) {
            io->close(user);
        }
        return dlzi_err_set(err, DLZ_EMISUSE,
                            "output callbacks need version DLZ_IO_VERSION and a write function");
    }
    io_sink *s = dlzi_calloc(1, sizeof *s);
    if (s == NULL) {
        if (io->close != NULL && !(flags & DLZ_KEEP_OPEN)) {
            io->close(user);
        }
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    s->io = *io;
    s->user = user;
    s->own = !(flags & DLZ_KEEP_OPEN);
    o->ctx = s;
    o->write = io_write;
    o->finish = io_finish;
    o->discard = io_discard;
    return DLZ_OK;
}

/* ---- memory ------------------------------------------------------------- */

typedef struct mem_sink {
    unsigned char *p;
    size_t len, cap;
} mem_sink;

static int mem_write(dlzi_out *o, const void *buf, size_t n) {
    mem_sink *s = o->ctx;
    if (n > SIZE_MAX - s->len) {
        return dlzi_err_set(o->err, DLZ_ELIMIT, "archive too large for memory");
    }
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 65536;
        while (cap < s->len + n) {
            cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
        }
        unsigned char *p = dlzi_realloc(s->p, cap);
        if (p == NULL) {
            return dlzi_err_set(o->err, DLZ_ENOMEM, "out of memory");
        }
        s->p = p;
        s->cap = cap;
    }
    if (n > 0) {
        memcpy(s->p + s->len, buf, n);
    }
    s->len += n;
    return DLZ_OK;
}

static int mem_finish(dlzi_out *o) {
    (void)o;
    return DLZ_OK;
}

static void mem_discard(dlzi_out *o) {
    dlzi_out_memory_free(o);
}

int dlzi_out_memory(dlzi_out *o, dlzi_err *err) {
    memset(o, 0, sizeof *o);
    o->err = err;
    mem_sink *s = dlzi_calloc(1, sizeof *s);
    if (s == NULL) {
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    o->ctx = s;
    o->write = mem_write;
    o->finish = mem_finish;
    o->discard = mem_discard;
    return DLZ_OK;
}

void dlzi_out_memory_get(dlzi_out *o, const void **buf, size_t *len) {
    mem_sink *s = o->ctx;
    *buf = s ? s->p : NULL;
    *len = s ? s->len : 0;
}

void dlzi_out_memory_free(dlzi_out *o) {
    mem_sink *s = o->ctx;
    if (s != NULL) {
        dlzi_free(s->p);
        dlzi_free(s);
        o->ctx = NULL;
    }
}
