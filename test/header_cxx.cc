// The public header compiles as C++ and links from C++.
#include <dlz.h>

int main() {
    dlz_reader *r = dlz_reader_new();
    dlz_reader_free(r);
    return dlz_version_number() == DLZ_VERSION_NUMBER ? 0 : 1;
}
