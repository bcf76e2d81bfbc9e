/* edit_crash.c - the process the crash test kills: it makes a base archive,
 * or performs one kind of edit on an archive with a fixed timestamp, so the
 * result is byte-for-byte predictable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlz.h"

static int make(const char *path) {
    int64_t cs[2] = {1, 1 << 20}, us[2] = {1, 4 << 20};
    dlz_array *c, *u;
    if (dlz_array_new(DLZ_DTYPE_FLOAT, 2, cs, 'c', &c, NULL, 0) != DLZ_OK ||
        dlz_array_new(DLZ_DTYPE_FLOAT, 2, us, 'c', &u, NULL, 0) != DLZ_OK) {
        return 1;
    }
    float *v = dlz_array_data(c);
    for (int64_t i = 0; i < cs[1]; i++) {
        v[i] = (float)(i % 1000) * 0.001f;
    }
    v = dlz_array_data(u);
    for (int64_t i = 0; i < us[1]; i++) {
        v[i] = (float)(i % 777);
    }
    dlz_writer *w = dlz_writer_new();
    int rc = dlz_writer_set_mtime(w, 1600000000);
    if (rc == DLZ_OK) {
        rc = dlz_writer_open_path(w, path);
    }
    if (rc == DLZ_OK) {
        rc = dlz_writer_put_configuration(w, "{\"confs\":[]}", 12);
    }
    if (rc == DLZ_OK) {
        rc = dlz_writer_put_coefficients(w, c);
    }
    if (rc == DLZ_OK) {
        rc = dlz_writer_put_updater(w, u);
    }
    if (rc == DLZ_OK) {
        rc = dlz_writer_put_normalizer_raw(w, "OLD", 3);
    }
    if (rc == DLZ_OK) {
        rc = dlz_writer_put_object_raw(w, "keep", "k", 1);
    }
    if (rc == DLZ_OK) {
        rc = dlz_writer_put_object_raw(w, "gone", "g", 1);
    }
    if (rc == DLZ_OK) {
        rc = dlz_writer_close(w);
    }
    if (rc != DLZ_OK) {
        fprintf(stderr, "edit_crash: %s\n", dlz_writer_errmsg(w));
    }
    dlz_writer_free(w);
    dlz_array_free(c);
    dlz_array_free(u);
    return rc != DLZ_OK;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: edit_crash make|normalizer|object|object-rm|strip|updater FILE\n");
        return 2;
    }
    const char *kind = argv[1], *path = argv[2];
    if (strcmp(kind, "make") == 0) {
        return make(path);
    }
    dlz_editor *e = dlz_editor_new();
    dlz_array *u = NULL;
    int rc = dlz_editor_open(e, path);
    if (rc == DLZ_OK) {
        rc = dlz_editor_set_mtime(e, 1700000000);
    }
    if (rc == DLZ_OK && strcmp(kind, "normalizer") == 0) {
        rc = dlz_editor_set_normalizer_raw(e, "NEW NORMALIZER", 14);
    } else if (rc == DLZ_OK && strcmp(kind, "object") == 0) {
        rc = dlz_editor_put_object_raw(e, "keep", "replaced", 8);
    } else if (rc == DLZ_OK && strcmp(kind, "object-rm") == 0) {
        rc = dlz_editor_remove_object(e, "gone");
    } else if (rc == DLZ_OK && strcmp(kind, "strip") == 0) {
        rc = dlz_editor_remove_updater(e);
    } else if (rc == DLZ_OK && strcmp(kind, "updater") == 0) {
        int64_t s[1] = {2 << 20};
        rc = dlz_array_new(DLZ_DTYPE_FLOAT, 1, s, 'c', &u, NULL, 0);
        if (rc == DLZ_OK) {
            rc = dlz_editor_set_updater(e, u);
        }
    } else if (rc == DLZ_OK) {
        fprintf(stderr, "edit_crash: unknown edit %s\n", kind);
        rc = DLZ_EMISUSE;
    }
    if (rc == DLZ_OK) {
        rc = dlz_editor_commit(e);
    }
    if (rc != DLZ_OK) {
        fprintf(stderr, "edit_crash: %s: %s\n", path, dlz_editor_errmsg(e));
    }
    dlz_editor_free(e);
    dlz_array_free(u);
    return rc != DLZ_OK;
}
