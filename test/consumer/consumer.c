/* Links libdlz from the subproject and prints its version. */
#include <dlz.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    printf("dlz %s\n", dlz_version());
    return strcmp(dlz_version(), DLZ_VERSION_STRING) == 0 ? 0 : 1;
}
