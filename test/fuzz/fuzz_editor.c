/* fuzz_editor.c - libFuzzer target for the editor: the input is written as
 * an archive file in a private temporary folder and opened with the editor;
 * a normalizer, objects and an updater state are staged and committed to
 * another file, and removals are committed in place.  Each result must open
 * with the reader and hold exactly what was staged, with every other entry
 * unchanged; a failed commit must leave no file behind.  Every file is
 * removed after each input.  The folder is under /dev/shm when it exists
 * (the editor fsyncs), else $TMPDIR or /tmp. */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "internal.h"

int dlz_fuzz_wants_entry(const char *name) {
    (void)name;
    return 0; /* whole archives only */
}

/* Inputs above this size are skipped (every one is written to a file). */
#define MAX_ARCHIVE (256u << 10)
/* Most objects decoded and restaged per input. */
#define MAX_OBJECTS 4
/* Largest updater state staged from the parameter table. */
#define MAX_STATE 4096

static char dir[256];
static char in_path[300], out_path[300];

static void remove_dir(void) {
    unlink(in_path);
    unlink(out_path);
    rmdir(dir);
}

static int setup(void) {
    if (dir[0] != '\0') {
        return 0;
    }
    struct stat st;
    const char *base = getenv("TMPDIR");
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0) {
        base = "/dev/shm";
    }
    snprintf(dir, sizeof dir, "%s/dlz-fuzz-editor-XXXXXX", base != NULL ? base : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror(dir);
        abort();
    }
    snprintf(in_path, sizeof in_path, "%s/in.zip", dir);
    snprintf(out_path, sizeof out_path, "%s/out.zip", dir);
    atexit(remove_dir);
    return 0;
}

/* Only the files the target itself keeps may be in the folder. */
static void check_folder(const char *keep1, const char *keep2) {
    DIR *d = opendir(dir);
    FUZZ_CHECK(d != NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            (keep1 != NULL && strcmp(e->d_name, keep1) == 0) ||
            (keep2 != NULL && strcmp(e->d_name, keep2) == 0)) {
            continue;
        }
        fprintf(stderr, "file left behind: %s/%s\n", dir, e->d_name);
        FUZZ_CHECK(0);
    }
    closedir(d);
}

static int write_file(const char *path, const uint8_t *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        abort();
    }
    size_t k = fwrite(data, 1, size, f);
    FUZZ_CHECK(fclose(f) == 0 && k == size);
    return 0;
}

/* An entry as read from an archive: rc of dlz_reader_read_entry() and bytes. */
typedef struct entry {
    int rc;
    void *buf;
    size_t len;
} entry;

static entry read_entry(dlz_reader *r, const char *name) {
    entry x = {0, NULL, 0};
    x.rc = dlz_reader_read_entry(r, name, &x.buf, &x.len);
    return x;
}

static int same_entry(const entry *a, const entry *b) {
    return a->rc == b->rc &&
           (a->rc != DLZ_OK || (a->len == b->len && memcmp(a->buf, b->buf, a->len) == 0));
}

/* What an archive held before an edit, and what the edit staged. */
typedef struct object {
    char *key;
    entry before;
    int change; /* 0 keep, 1 set, 2 remove */
    void *data;
    size_t len;
} object;

typedef struct plan {
    char *config;
    size_t config_len;
    entry coefficients, updater, normalizer;
    object objs[MAX_OBJECTS + 1];
    size_t nobjs;
    int norm_change, upd_change; /* 0 keep, 1 set, 2 remove */
    void *norm;
    size_t norm_len;
    dlz_array *state;
} plan;

static void plan_free(plan *p) {
    free(p->config);
    dlz_free(p->coefficients.buf);
    dlz_free(p->updater.buf);
    dlz_free(p->normalizer.buf);
    for (size_t i = 0; i < p->nobjs; i++) {
        free(p->objs[i].key);
        dlz_free(p->objs[i].before.buf);
        dlz_free(p->objs[i].data);
    }
    free(p->norm);
    dlz_array_free(p->state);
    memset(p, 0, sizeof *p);
}

/* Records the state of the archive the editor opened. */
static void snapshot(dlz_editor *e, plan *p) {
    memset(p, 0, sizeof *p);
    dlz_reader *r = dlz_editor_reader(e);
    FUZZ_CHECK(r != NULL);
    const char *json;
    size_t len;
    FUZZ_CHECK(dlz_reader_configuration(r, &json, &len) == DLZ_OK);
    p->config = malloc(len + 1);
    FUZZ_CHECK(p->config != NULL);
    memcpy(p->config, json, len + 1);
    p->config_len = len;
    p->coefficients = read_entry(r, "coefficients.bin");
    p->updater = read_entry(r, "updaterState.bin");
    p->normalizer = read_entry(r, "normalizer.bin");
    int64_t n = dlz_reader_object_count(r);
    for (int64_t i = 0; i < n && p->nobjs < MAX_OBJECTS; i++) {
        const char *k = dlz_reader_object_key(r, i);
        FUZZ_CHECK(k != NULL);
        object *o = &p->objs[p->nobjs++];
        o->key = strdup(k);
        FUZZ_CHECK(o->key != NULL);
        o->before.rc = dlz_reader_read_object_raw(r, k, &o->before.buf, &o->before.len);
    }
}

/* Stages a normalizer, the objects and an updater state. */
static void stage_sets(dlz_editor *e, plan *p, const uint8_t *data, size_t size) {
    /* The decoded normalizer re-encoded, or raw bytes from the input. */
    dlz_normalizer *n = NULL;
    dlzi_err err;
    dlzi_err_clear(&err);
    void *enc = NULL;
    size_t enc_len = 0;
    if (p->normalizer.rc == DLZ_OK &&
        dlzi_normalizer_decode(p->normalizer.buf, p->normalizer.len, FUZZ_ARRAY_LIMIT, "n", &n,
                               &err) == DLZ_OK &&
        dlz_normalizer_encode(n, &enc, &enc_len, NULL, 0) == DLZ_OK) {
        FUZZ_CHECK(dlz_editor_set_normalizer(e, n) == DLZ_OK);
        p->norm_len = enc_len;
        p->norm = malloc(enc_len + 1);
        FUZZ_CHECK(p->norm != NULL);
        memcpy(p->norm, enc, enc_len);
    } else {
        p->norm_len = size < 64 ? size : 64;
        p->norm = malloc(p->norm_len + 1);
        FUZZ_CHECK(p->norm != NULL);
        memcpy(p->norm, data + size - p->norm_len, p->norm_len);
        FUZZ_CHECK(dlz_editor_set_normalizer_raw(e, p->norm, p->norm_len) == DLZ_OK);
    }
    dlz_free(enc);
    dlz_normalizer_free(n);
    p->norm_change = 1;

    /* Objects that decode are restaged re-encoded, in place. */
    for (size_t i = 0; i < p->nobjs; i++) {
        object *o = &p->objs[i];
        dlz_value *v = NULL;
        if (o->before.rc != DLZ_OK ||
            dlz_value_decode(o->before.buf, o->before.len, 0, &v, NULL, 0) != DLZ_OK) {
            continue;
        }
        if (dlz_value_encode(v, &o->data, &o->len, NULL, 0) == DLZ_OK) {
            int rc = dlz_editor_put_object(e, o->key, v);
            FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_EMISUSE); /* keys the writer refuses */
            o->change = rc == DLZ_OK ? 1 : 0;
        }
        dlz_value_free(v);
    }
    /* A new object. */
    object *o = &p->objs[p->nobjs];
    o->key = strdup("dlz-fuzz/added");
    FUZZ_CHECK(o->key != NULL);
    int found = 0;
    for (size_t i = 0; i < p->nobjs; i++) {
        found |= strcmp(p->objs[i].key, o->key) == 0;
    }
    if (!found) {
        dlz_value *list = dlz_value_new_list();
        FUZZ_CHECK(list != NULL);
        FUZZ_CHECK(dlz_value_append(list, dlz_value_new_int((int32_t)size)) == DLZ_OK);
        FUZZ_CHECK(dlz_value_encode(list, &o->data, &o->len, NULL, 0) == DLZ_OK);
        FUZZ_CHECK(dlz_editor_put_object(e, o->key, list) == DLZ_OK);
        dlz_value_free(list);
        o->before.rc = DLZ_ENOTFOUND;
        o->change = 1;
        p->nobjs++;
    } else {
        free(o->key);
        o->key = NULL;
    }

    /* An updater state as long as the parameter table says, else short. */
    int64_t len = (int64_t)(size % 17);
    dlz_params *t = NULL;
    if (dlz_params_parse(p->config, p->config_len, DLZ_PARAMS_ASSUME_DENSE, &t, NULL, 0) ==
        DLZ_OK) {
        int64_t u = dlz_params_updater_total(t);
        if (u >= 0 && u <= MAX_STATE) {
            len = u;
        }
    }
    dlz_params_free(t);
    int64_t shape[2] = {1, len};
    FUZZ_CHECK(dlz_array_new(DLZ_DTYPE_FLOAT, 2, shape, 'c', &p->state, NULL, 0) == DLZ_OK);
    for (int64_t i = 0; i < len; i++) {
        ((float *)dlz_array_data(p->state))[i] = (float)i * 0.5f - 3.0f;
    }
    FUZZ_CHECK(dlz_editor_set_updater(e, p->state) == DLZ_OK);
    p->upd_change = 1;
}

/* Stages the removal of what can be removed; 0 when there is nothing. */
static int stage_removals(dlz_editor *e, plan *p) {
    int staged = 0;
    int rc = dlz_editor_remove_normalizer(e);
    FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOTFOUND);
    if (rc == DLZ_OK) {
        p->norm_change = 2;
        staged = 1;
    }
    rc = dlz_editor_remove_updater(e);
    FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOTFOUND);
    if (rc == DLZ_OK) {
        p->upd_change = 2;
        staged = 1;
    }
    if (p->nobjs > 0) {
        FUZZ_CHECK(dlz_editor_remove_object(e, p->objs[0].key) == DLZ_OK);
        p->objs[0].change = 2;
        staged = 1;
    }
    FUZZ_CHECK(dlz_editor_remove_object(e, "dlz-fuzz/never-there") == DLZ_ENOTFOUND);
    return staged;
}

static void check_staged(const entry *after, int change, const entry *before, const void *data,
                         size_t len) {
    if (change == 1) {
        FUZZ_CHECK(after->rc == DLZ_OK && after->len == len && memcmp(after->buf, data, len) == 0);
    } else if (change == 2) {
        FUZZ_CHECK(after->rc == DLZ_ENOTFOUND);
    } else {
        FUZZ_CHECK(same_entry(before, after));
    }
}

/* The committed archive at @p path holds what the plan says. */
static void verify(const char *path, const plan *p) {
    dlz_reader *r = dlz_reader_new();
    FUZZ_CHECK(r != NULL);
    dlz_reader_set_limit(r, DLZ_LIMIT_ARRAY_BYTES, FUZZ_ARRAY_LIMIT);
    int rc = dlz_reader_open_path(r, path);
    if (rc != DLZ_OK) {
        fprintf(stderr, "the committed archive does not open: %s\n", dlz_reader_errmsg(r));
    }
    FUZZ_CHECK(rc == DLZ_OK);
    FUZZ_CHECK(dlz_reader_kind(r) != DLZ_KIND_ARRAY);
    const char *json;
    size_t len;
    FUZZ_CHECK(dlz_reader_configuration(r, &json, &len) == DLZ_OK);
    FUZZ_CHECK(len == p->config_len && memcmp(json, p->config, len) == 0);

    entry c = read_entry(r, "coefficients.bin");
    FUZZ_CHECK(same_entry(&p->coefficients, &c));
    dlz_free(c.buf);
    entry nb = read_entry(r, "normalizer.bin");
    check_staged(&nb, p->norm_change, &p->normalizer, p->norm, p->norm_len);
    dlz_free(nb.buf);
    if (p->upd_change == 1) {
        dlz_array *u = NULL;
        rc = dlz_reader_read_updater(r, &u);
        if (rc != DLZ_OK) {
            fprintf(stderr, "the staged updater state does not read back: %s\n",
                    dlz_reader_errmsg(r));
        }
        FUZZ_CHECK(rc == DLZ_OK && u != NULL);
        int64_t n = dlz_array_length(p->state);
        FUZZ_CHECK(dlz_array_length(u) == n && dlz_array_dtype(u) == DLZ_DTYPE_FLOAT);
        float *v = malloc(sizeof *v * (size_t)(n ? n : 1));
        FUZZ_CHECK(v != NULL && dlz_array_to_f32(u, v, (size_t)n) == DLZ_OK);
        FUZZ_CHECK(n == 0 || memcmp(v, dlz_array_cdata(p->state), sizeof *v * (size_t)n) == 0);
        free(v);
        dlz_array_free(u);
    } else {
        entry ub = read_entry(r, "updaterState.bin");
        check_staged(&ub, p->upd_change, &p->updater, NULL, 0);
        dlz_free(ub.buf);
    }
    for (size_t i = 0; i < p->nobjs; i++) {
        const object *o = &p->objs[i];
        entry ob = {0, NULL, 0};
        ob.rc = dlz_reader_read_object_raw(r, o->key, &ob.buf, &ob.len);
        check_staged(&ob, o->change, &o->before, o->data, o->len);
        dlz_free(ob.buf);
    }
    dlz_reader_free(r);
}

/* A failed commit names its reason and leaves the target path alone. */
static void check_failed_commit(dlz_editor *e, int rc, const char *target, int existed) {
    FUZZ_CHECK(rc != DLZ_EMISUSE);
    FUZZ_CHECK(fuzz_one_line(dlz_editor_errmsg(e)));
    struct stat st;
    FUZZ_CHECK((stat(target, &st) == 0) == existed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0 || size > MAX_ARCHIVE) {
        return 0;
    }
    setup();
    write_file(in_path, data, size);
    dlz_editor *e = dlz_editor_new();
    FUZZ_CHECK(e != NULL);
    plan p;
    memset(&p, 0, sizeof p);
    int rc = dlz_editor_open(e, in_path);
    if (rc != DLZ_OK) {
        FUZZ_CHECK(rc != DLZ_EMISUSE && fuzz_one_line(dlz_editor_errmsg(e)));
        FUZZ_CHECK(dlz_editor_reader(e) == NULL);
        goto done;
    }
    dlz_editor_set_mtime(e, 1600000000);

    /* Sets, committed to another file. */
    snapshot(e, &p);
    stage_sets(e, &p, data, size);
    rc = dlz_editor_commit_to(e, out_path);
    if (rc == DLZ_OK) {
        FUZZ_CHECK(dlz_editor_reader(e) == NULL);
        verify(out_path, &p);
        check_folder("in.zip", "out.zip");
    } else {
        check_failed_commit(e, rc, out_path, 0);
        check_folder("in.zip", NULL);
    }
    plan_free(&p);
    dlz_editor_free(e);
    unlink(out_path);

    /* Removals, committed in place. */
    e = dlz_editor_new();
    FUZZ_CHECK(e != NULL);
    FUZZ_CHECK(dlz_editor_open(e, in_path) == DLZ_OK);
    dlz_editor_set_mtime(e, 1600000000);
    snapshot(e, &p);
    if (stage_removals(e, &p)) {
        rc = dlz_editor_commit(e);
        if (rc == DLZ_OK) {
            verify(in_path, &p);
        } else {
            check_failed_commit(e, rc, in_path, 1);
            /* The original is untouched. */
            FILE *f = fopen(in_path, "rb");
            FUZZ_CHECK(f != NULL);
            unsigned char *b = malloc(size + 1);
            FUZZ_CHECK(b != NULL && fread(b, 1, size + 1, f) == size);
            FUZZ_CHECK(memcmp(b, data, size) == 0);
            free(b);
            fclose(f);
        }
        check_folder("in.zip", NULL);
    }
done:
    plan_free(&p);
    dlz_editor_free(e);
    unlink(in_path);
    unlink(out_path);
    check_folder(NULL, NULL);
    return 0;
}
