/* The version has one source, project() in meson.build: the generated
 * header, the library and the version passed in by meson (argv[1]) agree. */
#include <dlz.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_version MESON_PROJECT_VERSION\n");
        return 2;
    }
    char parts[64];
    snprintf(parts, sizeof parts, "%d.%d.%d", DLZ_VERSION_MAJOR, DLZ_VERSION_MINOR,
             DLZ_VERSION_PATCH);
    int ok = 1;
    if (strcmp(DLZ_VERSION_STRING, argv[1]) != 0) {
        fprintf(stderr, "DLZ_VERSION_STRING %s != meson.build %s\n", DLZ_VERSION_STRING, argv[1]);
        ok = 0;
    }
    if (strcmp(parts, argv[1]) != 0) {
        fprintf(stderr, "DLZ_VERSION_MAJOR.MINOR.PATCH %s != meson.build %s\n", parts, argv[1]);
        ok = 0;
    }
    if (strcmp(dlz_version(), argv[1]) != 0) {
        fprintf(stderr, "dlz_version() %s != meson.build %s\n", dlz_version(), argv[1]);
        ok = 0;
    }
    if (dlz_version_number() != DLZ_VERSION_NUMBER ||
        DLZ_VERSION_NUMBER !=
            DLZ_VERSION_MAJOR * 1000000 + DLZ_VERSION_MINOR * 1000 + DLZ_VERSION_PATCH) {
        fprintf(stderr, "dlz_version_number() %d != DLZ_VERSION_NUMBER %d\n", dlz_version_number(),
                DLZ_VERSION_NUMBER);
        ok = 0;
    }
    if (ok) {
        printf("version %s: meson.build, dlz_version.h and the library agree\n", argv[1]);
    }
    return ok ? 0 : 1;
}
