/* test_io.c - every way in and out: path, FILE*, descriptor, memory and
 * callbacks (seekable or not, with tiny and odd-sized reads), spooling to a
 * temporary file, ownership and closing, and the proof that reading without
 * the updater never touches updaterState.bin. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* The other end of a pipe, served by a thread (not a child process, so that
   the test runs the same under valgrind). */
typedef struct pipe_feed {
    int fd;
    const unsigned char *data;
    size_t len;
    int failed;
} pipe_feed;

/* Writes the data in 999-byte pieces, then closes the pipe. */
static void *feed_pipe(void *arg) {
    pipe_feed *f = arg;
    size_t off = 0;
    while (off < f->len) {
        ssize_t k = write(f->fd, f->data + off, f->len - off > 999 ? 999 : f->len - off);
        if (k <= 0) {
            f->failed = 1;
            break;
        }
        off += (size_t)k;
    }
    close(f->fd);
    return NULL;
}

typedef struct pipe_drain {
    int fd;
    const char *path;
    int failed;
} pipe_drain;

/* Copies everything read from the pipe to path, in reads of up to 1000 bytes. */
static void *drain_pipe(void *arg) {
    pipe_drain *d = arg;
    FILE *o = fopen(d->path, "wb");
    char b[1000];
    ssize_t k;
    while ((k = read(d->fd, b, sizeof b)) > 0) {
        if (o == NULL || fwrite(b, 1, (size_t)k, o) != (size_t)k) {
            d->failed = 1;
        }
    }
    if (o == NULL || fclose(o) != 0 || k < 0) {
        d->failed = 1;
    }
    close(d->fd);
    return NULL;
}

/* A small archive built by the library itself: configuration, coefficients
   [1,N] FLOAT = i * 0.5, updater [1,2N] = -i. */
static unsigned char *make_archive(size_t *len, int64_t n, int method) {
    tu_archive a = {NULL, n,      0.5,   0,     2 * n,  DLZ_DTYPE_FLOAT,
                    -1,   "NORM", "a/b", "xyz", method, 1700000000};
    return tu_build_archive(&a, len);
}

/* Checks everything a reader opened on make_archive(n) must return. */
static void check_reader(dlz_reader *r, int64_t n) {
    assert_int_equal(dlz_reader_kind(r), DLZ_KIND_MULTILAYER);
    assert_int_equal(dlz_reader_entry_count(r), 5);
    dlz_array *c = NULL, *u = NULL;
    TU_OK_R(r, dlz_reader_read_coefficients(r, &c));
    TU_OK_R(r, dlz_reader_read_updater(r, &u));
    assert_int_equal(dlz_array_length(c), n);
    assert_int_equal(dlz_array_length(u), 2 * n);
    const float *cv = dlz_array_cdata(c), *uv = dlz_array_cdata(u);
    for (int64_t i = 0; i < n; i++) {
        assert_true(cv[i] == (float)i * 0.5f);
    }
    for (int64_t i = 0; i < 2 * n; i++) {
        assert_true(uv[i] == -(float)i);
    }
    void *b;
    size_t bl;
    TU_OK_R(r, dlz_reader_read_normalizer_raw(r, &b, &bl));
    assert_int_equal(bl, 4);
    assert_memory_equal(b, "NORM", 4);
    dlz_free(b);
    assert_int_equal(dlz_reader_object_count(r), 1);
    assert_string_equal(dlz_reader_object_key(r, 0), "a/b");
    TU_OK_R(r, dlz_reader_read_object_raw(r, "a/b", &b, &bl));
    assert_int_equal(bl, 3);
    assert_memory_equal(b, "xyz", 3);
    dlz_free(b);
    dlz_array_free(c);
    dlz_array_free(u);
}

/* ---- callback input ------------------------------------------------------ */

typedef struct cb_src {
    const unsigned char *p;
    size_t len, pos;
    size_t max_read; /* at most this many bytes per read call */
    int closed;
    int fail_at; /* fail a read once pos passes this (when > 0) */
    /* byte ranges read, to prove which entries were touched */
    unsigned char *touched;
} cb_src;

static int64_t cb_read(void *user, void *buf, size_t n) {
    cb_src *s = user;
    assert_false(s->closed);
    if (s->fail_at > 0 && s->pos >= (size_t)s->fail_at) {
        return -1;
    }
    if (n > s->max_read) {
        n = s->max_read;
    }
    if (n > s->len - s->pos) {
        n = s->len - s->pos;
    }
    memcpy(buf, s->p + s->pos, n);
    if (s->touched != NULL) {
        memset(s->touched + s->pos, 1, n);
    }
    s->pos += n;
    return (int64_t)n;
}

static int64_t cb_seek(void *user, int64_t off, int whence) {
    cb_src *s = user;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)s->pos : (int64_t)s->len;
    if (base + off < 0) {
        return -1;
    }
    s->pos = (size_t)(base + off);
    return (int64_t)s->pos;
}

static int cb_close(void *user) {
    cb_src *s = user;
    assert_false(s->closed);
    s->closed = 1;
    return 0;
}

static void test_memory_and_callbacks(void **state) {
    (void)state;
    size_t len;
    unsigned char *z = make_archive(&len, 1000, DLZ_METHOD_DEFLATE);
    dlz_reader *r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_memory(r, z, len));
    check_reader(r, 1000);
    assert_int_equal(dlz_reader_close(r), DLZ_OK);

    const size_t reads[] = {1, 3, 7, 4096, 1 << 20};
    for (int seekable = 0; seekable < 2; seekable++) {
        for (size_t k = 0; k < sizeof reads / sizeof *reads; k++) {
            cb_src s = {z, len, 0, reads[k], 0, 0, NULL};
            dlz_io io = {DLZ_IO_VERSION, cb_read, NULL, seekable ? cb_seek : NULL, cb_close};
            TU_OK_R(r, dlz_reader_open_io(r, &io, &s, 0));
            check_reader(r, 1000);
            assert_false(s.closed);
            assert_int_equal(dlz_reader_close(r), DLZ_OK);
            assert_true(s.closed); /* owned: closed at close */
            /* DLZ_KEEP_OPEN: never closed */
            s.pos = 0;
            s.closed = 0;
            TU_OK_R(r, dlz_reader_open_io(r, &io, &s, DLZ_KEEP_OPEN));
            check_reader(r, 1000);
            assert_int_equal(dlz_reader_close(r), DLZ_OK);
            assert_false(s.closed);
        }
    }
    /* A failing non-seekable stream: error, and the stream is closed. */
    cb_src s = {z, len, 0, 100, 0, 500, NULL};
    dlz_io io = {DLZ_IO_VERSION, cb_read, NULL, NULL, cb_close};
    assert_int_equal(dlz_reader_open_io(r, &io, &s, 0), DLZ_EIO);
    assert_true(s.closed);
    assert_non_null(strstr(dlz_reader_errmsg(r), "read"));
    /* A bad table: misuse, and still closed as documented. */
    s.closed = 0;
    dlz_io bad = {99, cb_read, NULL, NULL, cb_close};
    assert_int_equal(dlz_reader_open_io(r, &bad, &s, 0), DLZ_EMISUSE);
    assert_true(s.closed);
    dlz_reader_free(r);
    free(z);
}

/* Non-seekable input larger than the memory spool limit goes to a temporary
   file, with identical results. */
static void test_spool_to_file(void **state) {
    (void)state;
    size_t len;
    unsigned char *z = make_archive(&len, 50000, DLZ_METHOD_STORE);
    dlz_reader *r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_set_limit(r, DLZ_LIMIT_SPOOL_MEMORY, 4096));
    cb_src s = {z, len, 0, 10000, 0, 0, NULL};
    dlz_io io = {DLZ_IO_VERSION, cb_read, NULL, NULL, cb_close};
    TU_OK_R(r, dlz_reader_open_io(r, &io, &s, 0));
    check_reader(r, 50000);
    assert_int_equal(dlz_reader_close(r), DLZ_OK);
    /* and the total limit is enforced */
    TU_OK_R(r, dlz_reader_set_limit(r, DLZ_LIMIT_SPOOL_TOTAL, 1000));
    s.pos = 0;
    s.closed = 0;
    assert_int_equal(dlz_reader_open_io(r, &io, &s, 0), DLZ_ELIMIT);
    assert_true(s.closed);
    dlz_reader_free(r);
    free(z);
}

static void test_path_FILE_fd_pipe(void **state) {
    (void)state;
    size_t len;
    unsigned char *z = make_archive(&len, 777, DLZ_METHOD_DEFLATE);
    char *dir = tu_mkdtemp();
    char path[4096];
    snprintf(path, sizeof path, "%s/m.zip", dir);
    tu_write_file(path, z, len);
    dlz_reader *r = dlz_reader_new();

    TU_OK_R(r, dlz_reader_open_path(r, path));
    check_reader(r, 777);
    assert_int_equal(dlz_reader_close(r), DLZ_OK);

    FILE *fp = fopen(path, "rb");
    TU_OK_R(r, dlz_reader_open_FILE(r, fp, DLZ_KEEP_OPEN));
    check_reader(r, 777);
    assert_int_equal(dlz_reader_close(r), DLZ_OK);
    fclose(fp); /* still ours */

    int fd = open(path, O_RDONLY);
    TU_OK_R(r, dlz_reader_open_fd(r, fd, 0));
    check_reader(r, 777);
    assert_int_equal(dlz_reader_close(r), DLZ_OK);
    assert_int_equal(fcntl(fd, F_GETFD), -1); /* closed by the library */
    assert_int_equal(errno, EBADF);

    /* A stream positioned after a prefix: read from the current position. */
    char path2[4096];
    snprintf(path2, sizeof path2, "%s/prefixed.bin", dir);
    unsigned char *pre = malloc(len + 100);
    memset(pre, 'x', 100);
    memcpy(pre + 100, z, len);
    tu_write_file(path2, pre, len + 100);
    free(pre);
    fp = fopen(path2, "rb");
    fseek(fp, 100, SEEK_SET);
    TU_OK_R(r, dlz_reader_open_FILE(r, fp, 0));
    check_reader(r, 777);
    assert_int_equal(dlz_reader_close(r), DLZ_OK);

    /* A pipe: spooled.  A thread writes the archive in 999-byte pieces. */
    int p[2];
    assert_int_equal(pipe(p), 0);
    pipe_feed feed = {p[1], z, len, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, feed_pipe, &feed), 0);
    TU_OK_R(r, dlz_reader_open_fd(r, p[0], 0));
    check_reader(r, 777);
    assert_int_equal(dlz_reader_close(r), DLZ_OK);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(feed.failed, 0);

    /* Missing file and directory: clear errors. */
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/none.zip", dir);
    assert_int_equal(dlz_reader_open_path(r, missing), DLZ_EIO);
    assert_int_equal(dlz_reader_syserr(r), ENOENT);
    assert_non_null(strstr(dlz_reader_errmsg(r), "none.zip"));
    assert_int_equal(dlz_reader_open_path(r, dir), DLZ_EIO);

    dlz_reader_free(r);
    tu_rm_rf(dir);
    free(dir);
    free(z);
}

/* Reading the coefficients alone never reads updaterState.bin: of its 8 MB
   of data, only what falls in libzip's search window for the end-of-archive
   record (the last 64 KiB of the file) is ever read, and a corrupted updater
   state does not disturb reading the rest. */
static void test_updater_untouched(void **state) {
    (void)state;
    size_t len;
    unsigned char *z = make_archive(&len, 1000000, DLZ_METHOD_STORE);
    tu_zip_entry es[8];
    int n = tu_zip_list(z, len, es, 8);
    assert_int_equal(n, 5);
    assert_string_equal(es[2].name, "updaterState.bin");
    assert_true(es[2].csize > 8000000);
    unsigned char *touched = calloc(1, len);
    cb_src s = {z, len, 0, 65536, 0, 0, touched};
    dlz_io io = {DLZ_IO_VERSION, cb_read, NULL, cb_seek, cb_close};
    dlz_reader *r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_io(r, &io, &s, 0));
    dlz_array *c = NULL;
    TU_OK_R(r, dlz_reader_read_coefficients(r, &c));
    dlz_array_free(c);
    size_t seen = 0;
    for (uint64_t i = es[2].data_offset; i < es[2].data_offset + es[2].csize; i++) {
        seen += touched[i];
    }
    assert_true(seen <= 65536 + 1024);
    assert_int_equal(touched[es[2].data_offset + 1000], 0);
    /* ... and reading it afterwards reads it. */
    dlz_array *u = NULL;
    TU_OK_R(r, dlz_reader_read_updater(r, &u));
    dlz_array_free(u);
    assert_true(touched[es[2].data_offset + 1000]);
    dlz_reader_free(r);

    /* Corrupt the updater state: coefficients still read, the updater fails. */
    z[es[2].data_offset + es[2].csize / 2] ^= 1;
    r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_memory(r, z, len));
    TU_OK_R(r, dlz_reader_read_coefficients(r, &c));
    dlz_array_free(c);
    assert_int_equal(dlz_reader_read_updater(r, &u), DLZ_EFORMAT);
    assert_non_null(strstr(dlz_reader_errmsg(r), "updaterState.bin"));
    dlz_reader_free(r);
    free(touched);
    free(z);
}

/* ---- output --------------------------------------------------------------- */

typedef struct cb_sink {
    unsigned char *p;
    size_t len, cap;
    size_t fail_after; /* fail writes past this many bytes (when > 0) */
    size_t max_write;
    int closed;
} cb_sink;

static int64_t sink_write(void *user, const void *buf, size_t n) {
    cb_sink *s = user;
    if (s->fail_after > 0 && s->len + n > s->fail_after) {
        return -1;
    }
    if (n > s->max_write) {
        n = s->max_write;
    }
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->p = realloc(s->p, s->cap);
    }
    memcpy(s->p + s->len, buf, n);
    s->len += n;
    return (int64_t)n;
}

static int sink_close(void *user) {
    ((cb_sink *)user)->closed = 1;
    return 0;
}

/* Writes make_archive's content through an already opened writer. */
static int write_model(dlz_writer *w) {
    dlz_array *c;
    int64_t cs[2] = {1, 1000};
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, cs, 'c', &c, NULL, 0), DLZ_OK);
    float *cv = dlz_array_data(c);
    for (int i = 0; i < 1000; i++) {
        cv[i] = (float)i * 0.5f;
    }
    int64_t us[2] = {1, 2000};
    dlz_array *u;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, us, 'c', &u, NULL, 0), DLZ_OK);
    float *uv = dlz_array_data(u);
    for (int i = 0; i < 2000; i++) {
        uv[i] = -(float)i;
    }
    const char *json = "{\"confs\":[]}";
    int rc = dlz_writer_put_configuration(w, json, strlen(json));
    if (rc == DLZ_OK) {
        rc = dlz_writer_put_coefficients(w, c);
    }
    if (rc == DLZ_OK) {
        rc = dlz_writer_put_updater(w, u);
    }
    if (rc == DLZ_OK) {
        rc = dlz_writer_put_normalizer_raw(w, "NORM", 4);
    }
    if (rc == DLZ_OK) {
        rc = dlz_writer_put_object_raw(w, "a/b", "xyz", 3);
    }
    dlz_array_free(c);
    dlz_array_free(u);
    return rc;
}

static dlz_writer *fixed_writer(void) {
    dlz_writer *w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_set_compression(w, DLZ_PART_ALL, DLZ_METHOD_DEFLATE, 6));
    TU_OK_W(w, dlz_writer_set_mtime(w, 1700000000));
    return w;
}

/* Every output kind produces the same bytes as memory. */
static void test_outputs_identical(void **state) {
    (void)state;
    size_t ref_len;
    unsigned char *ref = make_archive(&ref_len, 1000, DLZ_METHOD_DEFLATE);
    char *dir = tu_mkdtemp();
    char path[4096];
    snprintf(path, sizeof path, "%s/out.zip", dir);

    dlz_writer *w = fixed_writer();
    TU_OK_W(w, dlz_writer_open_path(w, path));
    TU_OK_W(w, write_model(w));
    TU_OK_W(w, dlz_writer_close(w));
    size_t len;
    unsigned char *got = tu_read_file(path, &len);
    assert_int_equal(len, ref_len);
    assert_memory_equal(got, ref, len);
    free(got);
    assert_int_equal(dlz_writer_result(w)->total_bytes, ref_len);
    dlz_writer_free(w);

    w = fixed_writer();
    FILE *fp = fopen(path, "wb");
    TU_OK_W(w, dlz_writer_open_FILE(w, fp, 0));
    TU_OK_W(w, write_model(w));
    TU_OK_W(w, dlz_writer_close(w));
    got = tu_read_file(path, &len);
    assert_int_equal(len, ref_len);
    assert_memory_equal(got, ref, len);
    free(got);
    dlz_writer_free(w);

    /* descriptor, through a pipe read by a thread that copies to a file */
    int p[2];
    assert_int_equal(pipe(p), 0);
    pipe_drain drain = {p[0], path, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, drain_pipe, &drain), 0);
    w = fixed_writer();
    TU_OK_W(w, dlz_writer_open_fd(w, p[1], 0));
    TU_OK_W(w, write_model(w));
    TU_OK_W(w, dlz_writer_close(w));
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(drain.failed, 0);
    got = tu_read_file(path, &len);
    assert_int_equal(len, ref_len);
    assert_memory_equal(got, ref, len);
    free(got);
    dlz_writer_free(w);

    cb_sink s = {NULL, 0, 0, 0, 7, 0};
    dlz_io io = {DLZ_IO_VERSION, NULL, sink_write, NULL, sink_close};
    w = fixed_writer();
    TU_OK_W(w, dlz_writer_open_io(w, &io, &s, 0));
    TU_OK_W(w, write_model(w));
    TU_OK_W(w, dlz_writer_close(w));
    assert_true(s.closed);
    assert_int_equal(s.len, ref_len);
    assert_memory_equal(s.p, ref, ref_len);
    free(s.p);
    dlz_writer_free(w);

    tu_rm_rf(dir);
    free(dir);
    free(ref);
}

static int count_files(const char *dir) {
    char *names[64];
    int n = tu_list_dir(dir, "", names, 64);
    int k = 0;
    for (int i = 0; i < n; i++) {
        const char *b = strrchr(names[i], '/') + 1;
        if (strcmp(b, ".") != 0 && strcmp(b, "..") != 0) {
            k++;
        }
        free(names[i]);
    }
    return k;
}

/* A save to a path that fails (or is abandoned) leaves the old file
   byte-for-byte and no temporary file. */
static void test_atomic_path(void **state) {
    (void)state;
    char *dir = tu_mkdtemp();
    char path[4096];
    snprintf(path, sizeof path, "%s/model.zip", dir);
    tu_write_file(path, "old contents", 12);
    chmod(path, 0640);

    /* abandoned half-way */
    dlz_writer *w = fixed_writer();
    TU_OK_W(w, dlz_writer_open_path(w, path));
    const char *json = "{\"confs\":[]}";
    TU_OK_W(w, dlz_writer_put_configuration(w, json, strlen(json)));
    assert_int_equal(count_files(dir), 2); /* the temporary file exists now */
    dlz_writer_free(w);
    size_t len;
    unsigned char *got = tu_read_file(path, &len);
    assert_int_equal(len, 12);
    assert_memory_equal(got, "old contents", 12);
    free(got);
    assert_int_equal(count_files(dir), 1);

    /* closed without coefficients: refused, old file kept */
    w = fixed_writer();
    TU_OK_W(w, dlz_writer_open_path(w, path));
    TU_OK_W(w, dlz_writer_put_configuration(w, json, strlen(json)));
    assert_int_equal(dlz_writer_close(w), DLZ_EMISUSE);
    dlz_writer_free(w);
    got = tu_read_file(path, &len);
    assert_memory_equal(got, "old contents", 12);
    free(got);
    assert_int_equal(count_files(dir), 1);

    /* success: replaced, permissions kept */
    w = fixed_writer();
    TU_OK_W(w, dlz_writer_open_path(w, path));
    TU_OK_W(w, write_model(w));
    TU_OK_W(w, dlz_writer_close(w));
    dlz_writer_free(w);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_int_equal(count_files(dir), 1);
    dlz_reader *r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_path(r, path));
    check_reader(r, 1000);
    dlz_reader_free(r);

    /* a directory that does not exist: clear error */
    char bad[4200];
    snprintf(bad, sizeof bad, "%s/nodir/model.zip", dir);
    w = fixed_writer();
    assert_int_equal(dlz_writer_open_path(w, bad), DLZ_EIO);
    assert_non_null(strstr(dlz_writer_errmsg(w), "nodir"));
    dlz_writer_free(w);

    tu_rm_rf(dir);
    free(dir);
}

/* A write callback failing at byte N, for many N: a clean error every time,
   the stream closed once. */
static void test_write_failures(void **state) {
    (void)state;
    size_t total;
    free(make_archive(&total, 1000, DLZ_METHOD_DEFLATE));
    for (size_t n = 1; n < total + 50; n += 37) {
        cb_sink s = {NULL, 0, 0, n, 1 << 20, 0};
        dlz_io io = {DLZ_IO_VERSION, NULL, sink_write, NULL, sink_close};
        dlz_writer *w = fixed_writer();
        TU_OK_W(w, dlz_writer_open_io(w, &io, &s, 0));
        int rc = write_model(w);
        if (rc == DLZ_OK) {
            rc = dlz_writer_close(w);
        } else {
            assert_int_equal(dlz_writer_close(w), rc);
        }
        assert_int_equal(rc, n >= total ? DLZ_OK : DLZ_EIO);
        assert_true(s.closed);
        free(s.p);
        dlz_writer_free(w);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_and_callbacks), cmocka_unit_test(test_spool_to_file),
        cmocka_unit_test(test_path_FILE_fd_pipe),    cmocka_unit_test(test_updater_untouched),
        cmocka_unit_test(test_outputs_identical),    cmocka_unit_test(test_atomic_path),
        cmocka_unit_test(test_write_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
