/* test_edit.c - dlz_editor: normalizer set/replace/remove, objects
 * put/replace/remove, updater strip/replace; untouched entries copied byte
 * for byte; failures leave the original file unchanged and no temporary
 * file. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static char *dir;
static char path[4096];

static void write_model(const char *p, int with_updater, int with_norm, int nobj) {
    dlz_array *c, *u;
    int64_t cs[2] = {1, 5000}, us[2] = {1, 10000};
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, cs, 'c', &c, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, us, 'c', &u, NULL, 0), DLZ_OK);
    float *cv = dlz_array_data(c), *uv = dlz_array_data(u);
    for (int i = 0; i < 5000; i++) {
        cv[i] = (float)i * 0.25f;
    }
    for (int i = 0; i < 10000; i++) {
        uv[i] = (float)i;
    }
    dlz_writer *w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_set_mtime(w, 1600000000));
    TU_OK_W(w, dlz_writer_open_path(w, p));
    TU_OK_W(w, dlz_writer_put_configuration(w, "{\"confs\":[]}", 12));
    TU_OK_W(w, dlz_writer_put_coefficients(w, c));
    if (with_updater) {
        TU_OK_W(w, dlz_writer_put_updater(w, u));
    }
    if (with_norm) {
        TU_OK_W(w, dlz_writer_put_normalizer_raw(w, "OLD-NORMALIZER", 14));
    }
    for (int i = 0; i < nobj; i++) {
        char key[32], val[32];
        snprintf(key, sizeof key, "key%d", i);
        snprintf(val, sizeof val, "value%d", i);
        TU_OK_W(w, dlz_writer_put_object_raw(w, key, val, strlen(val)));
    }
    TU_OK_W(w, dlz_writer_close(w));
    dlz_writer_free(w);
    dlz_array_free(c);
    dlz_array_free(u);
}

static int setup(void **state) {
    (void)state;
    dir = tu_mkdtemp();
    snprintf(path, sizeof path, "%s/model.zip", dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    tu_rm_rf(dir);
    free(dir);
    return 0;
}

/* Entry names in archive order, joined with ','. */
static void names_of(const char *p, char *out, size_t cap) {
    size_t len;
    unsigned char *z = tu_read_file(p, &len);
    tu_zip_entry es[32];
    int n = tu_zip_list(z, len, es, 32);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        strncat(out, es[i].name, cap - strlen(out) - 2);
        strcat(out, ",");
    }
    free(z);
}

/* The compressed bytes (and local header fields after the signature) of an
   entry are identical in both files. */
static void assert_raw_same(const char *a, const char *b, const char *name) {
    size_t la, lb;
    unsigned char *za = tu_read_file(a, &la), *zb = tu_read_file(b, &lb);
    tu_zip_entry ea[32], eb[32];
    int na = tu_zip_list(za, la, ea, 32), nb = tu_zip_list(zb, lb, eb, 32);
    int fa = -1, fb = -1;
    for (int i = 0; i < na; i++) {
        if (strcmp(ea[i].name, name) == 0) {
            fa = i;
        }
    }
    for (int i = 0; i < nb; i++) {
        if (strcmp(eb[i].name, name) == 0) {
            fb = i;
        }
    }
    assert_true(fa >= 0 && fb >= 0);
    assert_int_equal(ea[fa].csize, eb[fb].csize);
    assert_int_equal(ea[fa].crc, eb[fb].crc);
    assert_memory_equal(za + ea[fa].data_offset, zb + eb[fb].data_offset, ea[fa].csize);
    /* same DOS time and date */
    assert_memory_equal(za + ea[fa].local_offset + 10, zb + eb[fb].local_offset + 10, 4);
    free(za);
    free(zb);
}

static char *read_entry(const char *p, const char *name, size_t *len) {
    dlz_reader *r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_path(r, p));
    void *b = NULL;
    int rc = dlz_reader_read_entry(r, name, &b, len);
    dlz_reader_free(r);
    if (rc != DLZ_OK) {
        return NULL;
    }
    char *copy = malloc(*len + 1);
    memcpy(copy, b, *len + 1);
    dlz_free(b);
    return copy;
}

static void test_normalizer_edits(void **state) {
    (void)state;
    char orig[4200], names[1024];
    snprintf(orig, sizeof orig, "%s/orig.zip", dir);
    write_model(path, 1, 0, 2);
    write_model(orig, 1, 0, 2);

    dlz_editor *e = dlz_editor_new();
    assert_int_equal(dlz_editor_set_normalizer_raw(e, "x", 1), DLZ_EMISUSE); /* not open */
    assert_int_equal(dlz_editor_open(e, path), DLZ_OK);
    assert_int_equal(dlz_editor_remove_normalizer(e), DLZ_ENOTFOUND);
    assert_int_equal(dlz_editor_set_normalizer_raw(e, "NEW", 3), DLZ_OK);
    assert_int_equal(dlz_editor_commit(e), DLZ_OK);
    names_of(path, names, sizeof names);
    assert_string_equal(names, "configuration.json,coefficients.bin,updaterState.bin,"
                               "normalizer.bin,objects/key0,objects/key1,");
    size_t len;
    char *n = read_entry(path, "normalizer.bin", &len);
    assert_int_equal(len, 3);
    assert_memory_equal(n, "NEW", 3);
    free(n);
    const char *same[] = {"configuration.json", "coefficients.bin", "updaterState.bin",
                          "objects/key0", "objects/key1"};
    for (size_t i = 0; i < 5; i++) {
        assert_raw_same(orig, path, same[i]);
    }
    /* replace, then remove */
    assert_int_equal(dlz_editor_open(e, path), DLZ_OK);
    assert_int_equal(dlz_editor_set_normalizer_raw(e, "NEWER!", 6), DLZ_OK);
    assert_int_equal(dlz_editor_commit(e), DLZ_OK);
    n = read_entry(path, "normalizer.bin", &len);
    assert_memory_equal(n, "NEWER!", 6);
    free(n);
    assert_int_equal(dlz_editor_open(e, path), DLZ_OK);
    assert_int_equal(dlz_editor_remove_normalizer(e), DLZ_OK);
    assert_int_equal(dlz_editor_commit(e), DLZ_OK);
    assert_null(read_entry(path, "normalizer.bin", &len));
    dlz_editor_free(e);
    /* back to the original bytes except the archive layout */
    for (size_t i = 0; i < 5; i++) {
        assert_raw_same(orig, path, same[i]);
    }
}

static void test_object_edits(void **state) {
    (void)state;
    char names[1024];
    write_model(path, 0, 1, 3);
    dlz_editor *e = dlz_editor_new();
    assert_int_equal(dlz_editor_open(e, path), DLZ_OK);
    assert_int_equal(dlz_editor_put_object_raw(e, "key1", "REPLACED", 8), DLZ_OK);
    assert_int_equal(dlz_editor_put_object_raw(e, "new/one", "N1", 2), DLZ_OK);
    assert_int_equal(dlz_editor_remove_object(e, "key0"), DLZ_OK);
    assert_int_equal(dlz_editor_remove_object(e, "nope"), DLZ_ENOTFOUND);
    assert_int_equal(dlz_editor_put_object_raw(e, "../x", "v", 1), DLZ_EMISUSE);
    assert_non_null(strstr(dlz_editor_errmsg(e), "'..'"));
    assert_int_equal(dlz_editor_commit(e), DLZ_OK);
    names_of(path, names, sizeof names);
    /* replaced in place, new key after the others, removed key gone */
    assert_string_equal(names, "configuration.json,coefficients.bin,normalizer.bin,objects/key1,"
                               "objects/key2,objects/new/one,");
    size_t len;
    char *v = read_entry(path, "objects/key1", &len);
    assert_memory_equal(v, "REPLACED", 8);
    free(v);
    /* re-adding the same key replaces it (DL4J fails with "duplicate entry") */
    assert_int_equal(dlz_editor_open(e, path), DLZ_OK);
    assert_int_equal(dlz_editor_put_object_raw(e, "new/one", "N2", 2), DLZ_OK);
    assert_int_equal(dlz_editor_commit(e), DLZ_OK);
    v = read_entry(path, "objects/new/one", &len);
    assert_memory_equal(v, "N2", 2);
    free(v);
    dlz_editor_free(e);
}

static void test_updater_edits(void **state) {
    (void)state;
    char names[1024];
    write_model(path, 1, 1, 1);
    dlz_editor *e = dlz_editor_new();
    /* strip to another file: the original stays */
    char out[4200];
    snprintf(out, sizeof out, "%s/stripped.zip", dir);
    assert_int_equal(dlz_editor_open(e, path), DLZ_OK);
    assert_int_equal(dlz_editor_remove_updater(e), DLZ_OK);
    assert_int_equal(dlz_editor_commit_to(e, out), DLZ_OK);
    names_of(out, names, sizeof names);
    assert_string_equal(names, "configuration.json,coefficients.bin,normalizer.bin,objects/key0,");
    names_of(path, names, sizeof names);
    assert_string_equal(names, "configuration.json,coefficients.bin,updaterState.bin,"
                               "normalizer.bin,objects/key0,");
    /* add a new updater state to the stripped copy */
    dlz_array *u;
    int64_t us[1] = {7};
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 1, us, 'c', &u, NULL, 0), DLZ_OK);
    ((float *)dlz_array_data(u))[6] = 42.0f;
    assert_int_equal(dlz_editor_open(e, out), DLZ_OK);
    assert_int_equal(dlz_editor_set_updater(e, u), DLZ_OK);
    assert_int_equal(dlz_editor_commit(e), DLZ_OK);
    names_of(out, names, sizeof names);
    assert_string_equal(names, "configuration.json,coefficients.bin,updaterState.bin,"
                               "normalizer.bin,objects/key0,");
    dlz_reader *r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_path(r, out));
    dlz_array *got = NULL;
    TU_OK_R(r, dlz_reader_read_updater(r, &got));
    assert_int_equal(dlz_array_rank(got), 2);
    assert_int_equal(dlz_array_shape(got)[1], 7);
    assert_true(((const float *)dlz_array_cdata(got))[6] == 42.0f);
    dlz_array_free(got);
    dlz_reader_free(r);
    dlz_array_free(u);
    dlz_editor_free(e);
}

/* Count of files in dir. */
static int nfiles(void) {
    char *names[64];
    int n = tu_list_dir(dir, "", names, 64), k = 0;
    for (int i = 0; i < n; i++) {
        const char *b = strrchr(names[i], '/') + 1;
        k += strcmp(b, ".") != 0 && strcmp(b, "..") != 0;
        free(names[i]);
    }
    return k;
}

/* A damaged entry is not copied: the commit fails and the file stays. */
static void test_failure_keeps_original(void **state) {
    (void)state;
    tu_rm_rf(dir);
    free(dir);
    dir = tu_mkdtemp();
    snprintf(path, sizeof path, "%s/model.zip", dir);
    write_model(path, 1, 0, 1);
    size_t len;
    unsigned char *z = tu_read_file(path, &len);
    tu_zip_entry es[8];
    assert_int_equal(tu_zip_list(z, len, es, 8), 4);
    z[es[2].data_offset + es[2].csize / 2] ^= 0x10; /* damage updaterState.bin */
    tu_write_file(path, z, len);
    dlz_editor *e = dlz_editor_new();
    assert_int_equal(dlz_editor_open(e, path), DLZ_OK);
    assert_int_equal(dlz_editor_put_object_raw(e, "k", "v", 1), DLZ_OK);
    assert_int_equal(dlz_editor_commit(e), DLZ_EFORMAT);
    assert_non_null(strstr(dlz_editor_errmsg(e), "updaterState.bin"));
    size_t len2;
    unsigned char *z2 = tu_read_file(path, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(z, z2, len);
    assert_int_equal(nfiles(), 1);
    free(z2);
    /* stripping the damaged updater works: it is not copied */
    dlz_editor_free(e);
    e = dlz_editor_new();
    assert_int_equal(dlz_editor_open(e, path), DLZ_OK);
    assert_int_equal(dlz_editor_remove_updater(e), DLZ_OK);
    assert_int_equal(dlz_editor_commit(e), DLZ_OK);
    assert_int_equal(nfiles(), 1);
    /* a bare array cannot be edited; a missing file is a clear error */
    char bad[4200];
    snprintf(bad, sizeof bad, "%s/none.zip", dir);
    assert_int_equal(dlz_editor_open(e, bad), DLZ_EIO);
    assert_non_null(strstr(dlz_editor_errmsg(e), "none.zip"));
    dlz_editor_free(e);
    free(z);
}

/* Every corpus archive edited (object added, normalizer set): the other
   entries are copied byte for byte and still read identically. */
static void test_corpus_edits(void **state) {
    (void)state;
    if (tu_corpus_dir() == NULL) {
        print_message("corpus folder not found: skipped\n");
        skip();
    }
    const char *files[] = {"dl4j/050/050_ModelSerializer_Regression_CNN_1.zip",
                           "dl4j/080/080_ModelSerializer_Regression_CG_LSTM_1.zip",
                           "dl4j/100b4/CustomLayerExample_100b4_half.bin",
                           "dl4j/100b6/SyntheticBidirectionalRNNGraph_100b6.bin"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        size_t len;
        unsigned char *z = tu_read_file(tu_corpus_path(files[i]), &len);
        tu_write_file(path, z, len);
        dlz_editor *e = dlz_editor_new();
        assert_int_equal(dlz_editor_open(e, path), DLZ_OK);
        assert_int_equal(dlz_editor_put_object_raw(e, "labels", "abc", 3), DLZ_OK);
        assert_int_equal(dlz_editor_set_normalizer_raw(e, "NORM", 4), DLZ_OK);
        assert_int_equal(dlz_editor_commit(e), DLZ_OK);
        dlz_editor_free(e);
        char orig[4200];
        snprintf(orig, sizeof orig, "%s/orig.bin", dir);
        tu_write_file(orig, z, len);
        assert_raw_same(orig, path, "configuration.json");
        assert_raw_same(orig, path, "coefficients.bin");
        assert_raw_same(orig, path, "updaterState.bin");
        free(z);
    }
}

static int64_t ms_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Releases a lock after a delay, from another thread. */
typedef struct late_release {
    dlz_lock *lock;
    int ms;
} late_release;

static void *release_later(void *arg) {
    late_release *l = arg;
    struct timespec ts = {0, (long)l->ms * 1000000L};
    nanosleep(&ts, NULL);
    dlz_lock_release(l->lock);
    return NULL;
}

/* A second editor waits for the first one's lock or fails with DLZ_EBUSY;
   it never reads a file that is about to be replaced. */
static void test_lock(void **state) {
    (void)state;
    write_model(path, 1, 0, 1);
    char err[512];
    dlz_lock *held = NULL;
    assert_int_equal(dlz_lock_acquire(path, 0, &held, err, sizeof err), DLZ_OK);
    assert_int_equal(dlz_lock_held(held), 1); /* tmpfs and ext4 have locks */
    dlz_lock *second = NULL;
    assert_int_equal(dlz_lock_acquire(path, 0, &second, err, sizeof err), DLZ_EBUSY);
    assert_null(second);
    assert_non_null(strstr(err, "is being changed by another process"));

    dlz_editor *e = dlz_editor_new();
    assert_int_equal(dlz_editor_open(e, path), DLZ_EBUSY); /* default: no waiting */
    assert_non_null(strstr(dlz_editor_errmsg(e), "another process"));
    TU_OK_E(e, dlz_editor_set_lock_timeout(e, 150));
    int64_t t0 = ms_now();
    assert_int_equal(dlz_editor_open(e, path), DLZ_EBUSY);
    assert_true(ms_now() - t0 >= 150);

    /* released after 100 ms: an editor waiting up to 5 s gets it */
    late_release lr = {held, 100};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, release_later, &lr), 0);
    TU_OK_E(e, dlz_editor_set_lock_timeout(e, 5000));
    t0 = ms_now();
    TU_OK_E(e, dlz_editor_open(e, path));
    assert_true(ms_now() - t0 >= 90);
    assert_int_equal(pthread_join(th, NULL), 0);
    /* while this editor holds the lock, another one cannot start */
    assert_int_equal(dlz_lock_acquire(path, 0, &second, err, sizeof err), DLZ_EBUSY);
    dlz_value *v = dlz_value_new_int(7);
    TU_OK_E(e, dlz_editor_put_object(e, "k", v));
    dlz_value_free(v);
    TU_OK_E(e, dlz_editor_commit(e));
    /* committed: the lock is gone with the old file */
    assert_int_equal(dlz_lock_acquire(path, 0, &second, err, sizeof err), DLZ_OK);
    dlz_lock_release(second);
    dlz_editor_free(e);
}

/* Copies a file (as a process that ignores the lock would write it). */
static void copy_file(const char *from, const char *to) {
    size_t n;
    unsigned char *b = tu_read_file(from, &n);
    tu_write_file(to, b, n);
    free(b);
}

/* A file changed under an open editor by a process that ignores the lock:
   the commit fails with DLZ_ECONFLICT and leaves that process's file. */
static void test_conflict(void **state) {
    (void)state;
    char other[4200], tmp[4200];
    snprintf(other, sizeof other, "%s/other.zip", dir);
    snprintf(tmp, sizeof tmp, "%s/tmp.zip", dir);
    write_model(other, 0, 1, 3);
    for (int how = 0; how < 3; how++) {
        write_model(path, 1, 0, 1);
        dlz_editor *e = dlz_editor_new();
        TU_OK_E(e, dlz_editor_open(e, path));
        TU_OK_E(e, dlz_editor_remove_updater(e));
        if (how == 0) { /* replaced by a rename */
            copy_file(other, tmp);
            assert_int_equal(rename(tmp, path), 0);
        } else if (how == 1) { /* rewritten in place (new size) */
            copy_file(other, path);
        } else { /* removed */
            assert_int_equal(unlink(path), 0);
        }
        assert_int_equal(dlz_editor_commit(e), DLZ_ECONFLICT);
        assert_non_null(strstr(dlz_editor_errmsg(e), "another process"));
        assert_non_null(strstr(dlz_editor_errmsg(e), "nothing was written"));
        if (how < 2) {
            size_t a, b;
            unsigned char *za = tu_read_file(path, &a), *zb = tu_read_file(other, &b);
            assert_int_equal(a, b);
            assert_memory_equal(za, zb, a); /* the other process's file, untouched */
            free(za);
            free(zb);
        } else {
            struct stat st;
            assert_int_equal(stat(path, &st), -1);
        }
        dlz_editor_free(e);
        assert_int_equal(tu_count_temp_files(dir), 0);
    }

    /* A writer replacing a locked file checks the lock just before the
       rename (dlz convert IN IN). */
    write_model(path, 1, 0, 1);
    char err[512];
    dlz_lock *l = NULL;
    assert_int_equal(dlz_lock_acquire(path, 0, &l, err, sizeof err), DLZ_OK);
    assert_int_equal(dlz_lock_check(l, err, sizeof err), DLZ_OK);
    dlz_writer *w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_set_lock(w, l));
    TU_OK_W(w, dlz_writer_open_path(w, path));
    TU_OK_W(w, dlz_writer_put_configuration(w, "{\"confs\":[]}", 12));
    TU_OK_W(w, dlz_writer_put_coefficients(w, NULL));
    copy_file(other, tmp);
    assert_int_equal(rename(tmp, path), 0); /* meanwhile, a process ignoring the lock */
    assert_int_equal(dlz_lock_check(l, err, sizeof err), DLZ_ECONFLICT);
    assert_int_equal(dlz_writer_close(w), DLZ_ECONFLICT);
    assert_non_null(strstr(dlz_writer_errmsg(w), "changed by another process"));
    size_t a, b;
    unsigned char *za = tu_read_file(path, &a), *zb = tu_read_file(other, &b);
    assert_int_equal(a, b);
    assert_memory_equal(za, zb, a);
    free(za);
    free(zb);
    assert_int_equal(tu_count_temp_files(dir), 0);
    dlz_writer_free(w);
    dlz_lock_release(l);
}

/* One rule for counts: the writer and the editor never make an archive with
   more entries than the reader accepts (100000), and an edit of an archive
   at that size works as long as it adds no entry. */
static void test_entry_limit(void **state) {
    (void)state;
    const int max = 100000;
    dlz_writer *w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_open_path(w, path));
    TU_OK_W(w, dlz_writer_put_configuration(w, "{\"confs\":[]}", 12));
    TU_OK_W(w, dlz_writer_put_coefficients(w, NULL)); /* coefficients.bin, noParams.marker */
    char key[32];
    for (int i = 0; i < max - 3; i++) {
        snprintf(key, sizeof key, "k%d", i);
        TU_OK_W(w, dlz_writer_put_object_raw(w, key, "v", 1));
    }
    assert_int_equal(dlz_writer_put_object_raw(w, "one-more", "v", 1), DLZ_ELIMIT);
    assert_non_null(strstr(dlz_writer_errmsg(w), "at most 100000 entries"));
    dlz_writer_free(w); /* the failed put left a partial entry: nothing is written */

    w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_open_path(w, path));
    TU_OK_W(w, dlz_writer_put_configuration(w, "{\"confs\":[]}", 12));
    TU_OK_W(w, dlz_writer_put_coefficients(w, NULL));
    for (int i = 0; i < max - 3; i++) {
        snprintf(key, sizeof key, "k%d", i);
        TU_OK_W(w, dlz_writer_put_object_raw(w, key, "v", 1));
    }
    assert_int_equal(dlz_writer_put_object_raw(w, "k7", "v", 1), DLZ_EMISUSE); /* twice */
    dlz_writer_free(w);
}

static void test_entry_limit_edit(void **state) {
    (void)state;
    const int max = 100000;
    dlz_writer *w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_open_path(w, path));
    TU_OK_W(w, dlz_writer_put_configuration(w, "{\"confs\":[]}", 12));
    TU_OK_W(w, dlz_writer_put_coefficients(w, NULL));
    char key[32];
    for (int i = 0; i < max - 3; i++) {
        snprintf(key, sizeof key, "k%d", i);
        TU_OK_W(w, dlz_writer_put_object_raw(w, key, "v", 1));
    }
    TU_OK_W(w, dlz_writer_close(w));
    dlz_writer_free(w);

    dlz_reader *r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_path(r, path)); /* what dlz writes, dlz reads */
    assert_int_equal(dlz_reader_entry_count(r), max);
    dlz_reader_free(r);

    struct stat before;
    assert_int_equal(stat(path, &before), 0);
    dlz_editor *e = dlz_editor_new();
    TU_OK_E(e, dlz_editor_open(e, path));
    TU_OK_E(e, dlz_editor_put_object_raw(e, "new-key", "v", 1));
    assert_int_equal(dlz_editor_commit(e), DLZ_ELIMIT);
    assert_non_null(strstr(dlz_editor_errmsg(e), "at most 100000 entries"));
    dlz_editor_free(e);
    struct stat after;
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino); /* unchanged */
    assert_int_equal(tu_count_temp_files(dir), 0);

    e = dlz_editor_new();
    TU_OK_E(e, dlz_editor_open(e, path));
    TU_OK_E(e, dlz_editor_put_object_raw(e, "k5", "replaced", 8)); /* no new entry */
    TU_OK_E(e, dlz_editor_remove_object(e, "k6"));
    TU_OK_E(e, dlz_editor_put_object_raw(e, "new-key", "v", 1)); /* takes k6's place */
    TU_OK_E(e, dlz_editor_commit(e));
    dlz_editor_free(e);
    size_t n;
    char *v = read_entry(path, "objects/k5", &n);
    assert_non_null(v);
    assert_memory_equal(v, "replaced", 8);
    free(v);
    assert_null(read_entry(path, "objects/k6", &n));
    v = read_entry(path, "objects/new-key", &n);
    assert_non_null(v);
    free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry_limit),      cmocka_unit_test(test_entry_limit_edit),
        cmocka_unit_test(test_normalizer_edits), cmocka_unit_test(test_object_edits),
        cmocka_unit_test(test_updater_edits),    cmocka_unit_test(test_failure_keeps_original),
        cmocka_unit_test(test_corpus_edits),     cmocka_unit_test(test_lock),
        cmocka_unit_test(test_conflict),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
