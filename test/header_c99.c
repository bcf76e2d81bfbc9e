/* The public header compiles alone under strict C99 and matches the library. */
#include <dlz.h>
#include <string.h>

int main(void) {
    return strcmp(dlz_version(), DLZ_VERSION_STRING) == 0 ? 0 : 1;
}
