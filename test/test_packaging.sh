#!/usr/bin/env bash
# Packaging: what others build, embed and install (TAP).
#
#  1. the library alone (-Dcli=disabled -Dtests=disabled) builds no
#     executable, and installs the library, headers, dlz.pc, libdlz(3),
#     dlz-format(5) and the LICENSE; a program compiles and runs against the
#     installed tree through pkg-config;
#  2. the default build has no benchmark target (-Dbench=true adds it);
#  3. a meson project that uses dlz as a subproject gets dlz_dep and
#     dependency('dlz'), builds neither dlz's tool nor its tests, and installs
#     nothing of dlz;
#  4. the same project with -Ddlz:install=enabled -Ddlz:cli=enabled installs
#     everything a user expects: the tool, the library, headers, dlz.pc with
#     a real URL, the man pages, the bash completion and the LICENSE.
#
#   test_packaging.sh SOURCE_ROOT BUILD_ROOT
set -u
root=$1 build=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"

version=$(meson introspect "$build" --projectinfo | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
setup() { # DIR SOURCE ARGS...: a quick unoptimised build that downloads nothing
  local dir=$1 src=$2
  shift 2
  meson setup "$dir" "$src" --buildtype=debug --wrap-mode=nodownload "$@" >"$T/err" 2>&1 &&
    meson compile -C "$dir" >"$T/err" 2>&1
}
targets() { # DIR: "name type" per target
  meson introspect "$1" --targets | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    print(t["name"], t["type"], t["subproject"] or "")'
}
installed() { # DESTDIR: installed files, relative, sorted
  (cd "$1" && find . -type f -o -type l | sed 's|^\./||' | sort)
}
has() { # LISTFILE REGEX DESC
  if grep -qE "$2" "$1"; then ok "$3"; else not_ok "$3" "no installed file matches $2"; fi
}
lacks() { # LISTFILE REGEX DESC
  if grep -qE "$2" "$1"; then not_ok "$3" "installed: $(grep -E "$2" "$1" | head -3 | tr '\n' ' ')"; else ok "$3"; fi
}

# 1. The library alone.
if setup "$T/lib" "$root" -Dcli=disabled -Dtests=disabled -Dprefix=/usr; then
  ok "library-only build (-Dcli=disabled -Dtests=disabled)"
  targets "$T/lib" >"$T/lib.targets"
  if grep -q " executable" "$T/lib.targets"; then
    not_ok "library-only build has no executable" "$(grep ' executable' "$T/lib.targets" | tr '\n' ' ')"
  else
    ok "library-only build has no executable (no CLI, tests or benchmark)"
  fi
  if meson install -C "$T/lib" --destdir "$T/libdest" --no-rebuild >"$T/err" 2>&1; then
    installed "$T/libdest" >"$T/lib.files"
    has "$T/lib.files" '^usr/include/dlz\.h$' "library install: dlz.h"
    has "$T/lib.files" '^usr/include/dlz_version\.h$' "library install: the generated dlz_version.h"
    has "$T/lib.files" "^usr/lib.*/libdlz\.so\.$version\$" "library install: libdlz.so.$version"
    has "$T/lib.files" '^usr/lib.*/libdlz\.a$' "library install: libdlz.a"
    has "$T/lib.files" '^usr/lib.*/pkgconfig/dlz\.pc$' "library install: dlz.pc"
    has "$T/lib.files" '^usr/share/man/man3/libdlz\.3$' "library install: libdlz(3)"
    has "$T/lib.files" '^usr/share/man/man5/dlz-format\.5$' "library install: dlz-format(5)"
    has "$T/lib.files" '^usr/share/doc/dlz/LICENSE$' "library install: LICENSE"
    lacks "$T/lib.files" '^usr/bin/|man1/dlz\.1' "library install: no tool, no dlz(1)"
    pc=$(find "$T/libdest" -name dlz.pc | head -1)
    if grep -q "^Version: $version\$" "$pc" && grep -qE '^URL: ' "$pc" &&
      ! grep -qE 'example\.invalid' "$pc"; then
      ok "dlz.pc has Version $version and a URL ($(sed -n 's/^URL: //p' "$pc"))"
    else
      not_ok "dlz.pc has the version and a real URL" "$(grep -E '^(Version|URL)' "$pc" | tr '\n' ' ')"
    fi
    # A program built against the installed tree, found through pkg-config.
    cat >"$T/prog.c" <<'EOF'
#include <dlz.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    printf("%s\n", dlz_version());
    return strcmp(dlz_version(), DLZ_VERSION_STRING) != 0;
}
EOF
    pcdir=$(dirname "$pc")
    if flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$T/libdest/usr" --cflags --libs dlz 2>"$T/err") &&
      cc -std=c99 -o "$T/prog" "$T/prog.c" $flags 2>"$T/err" &&
      out=$(LD_LIBRARY_PATH="$(dirname "$pcdir")" "$T/prog" 2>"$T/err") && [ "$out" = "$version" ]; then
      ok "a program compiles against the installed tree (pkg-config --cflags --libs dlz) and runs"
    else
      not_ok "a program compiles against the installed tree and runs" "flags: ${flags:-}"
    fi
  else
    not_ok "meson install of the library-only build"
  fi
else
  not_ok "library-only build (-Dcli=disabled -Dtests=disabled)"
fi

# 2. No benchmark unless asked for.
targets "$build" >"$T/main.targets"
if grep -q '^dlz_bench ' "$T/main.targets"; then
  not_ok "the default build has no benchmark target" "dlz_bench is built without -Dbench=true"
else
  ok "the default build has no benchmark target (-Dbench=true adds dlz_bench)"
fi

# 3. As a subproject: dlz_dep, nothing installed.
consumer() { # DIR ARGS...
  local dir=$1
  shift
  mkdir -p "$dir/src/subprojects"
  cp "$root/test/consumer/meson.build" "$root/test/consumer/consumer.c" "$dir/src/"
  ln -s "$root" "$dir/src/subprojects/dlz"
  setup "$dir/build" "$dir/src" -Dprefix=/usr "$@"
}
if consumer "$T/sub"; then
  if out=$("$T/sub/build/consumer") && [ "$out" = "dlz $version" ]; then
    ok "a project using dlz as a subproject links dlz_dep and runs ($out)"
  else
    not_ok "the subproject consumer runs" "output: ${out:-}"
  fi
  targets "$T/sub/build" >"$T/sub.targets"
  if grep -E ' executable dlz$' "$T/sub.targets" | grep -q .; then
    not_ok "as a subproject dlz builds no executable" "$(grep -E ' executable dlz$' "$T/sub.targets" | tr '\n' ' ')"
  else
    ok "as a subproject dlz builds no executable (no tool, tests or benchmark)"
  fi
  if meson install -C "$T/sub/build" --destdir "$T/subdest" --no-rebuild >"$T/err" 2>&1; then
    installed "$T/subdest" >"$T/sub.files"
    if [ "$(cat "$T/sub.files")" = "usr/bin/consumer" ]; then
      ok "as a subproject dlz installs nothing (only the parent's usr/bin/consumer is installed)"
    else
      not_ok "as a subproject dlz installs nothing" "installed: $(tr '\n' ' ' <"$T/sub.files")"
    fi
  else
    not_ok "meson install of the subproject consumer"
  fi
else
  not_ok "a project using dlz as a subproject builds"
fi

# 4. The parent asks for everything.
if consumer "$T/all" -Ddlz:install=enabled -Ddlz:cli=enabled; then
  if meson install -C "$T/all/build" --destdir "$T/alldest" --no-rebuild >"$T/err" 2>&1; then
    installed "$T/alldest" >"$T/all.files"
    has "$T/all.files" '^usr/bin/dlz$' "with -Ddlz:install=enabled -Ddlz:cli=enabled: the tool"
    has "$T/all.files" "^usr/lib.*/libdlz\.so\.$version\$" "... the shared library"
    has "$T/all.files" '^usr/include/dlz\.h$' "... the header"
    has "$T/all.files" '^usr/lib.*/pkgconfig/dlz\.pc$' "... dlz.pc"
    has "$T/all.files" '^usr/share/man/man1/dlz\.1$' "... dlz(1)"
    has "$T/all.files" '^usr/share/man/man3/libdlz\.3$' "... libdlz(3)"
    has "$T/all.files" '^usr/share/man/man5/dlz-format\.5$' "... dlz-format(5)"
    has "$T/all.files" '^usr/share/bash-completion/completions/dlz$' "... the bash completion"
    has "$T/all.files" '^usr/share/doc/dlz/LICENSE$' "... the LICENSE"
    if out=$(LD_LIBRARY_PATH="$T/alldest/usr/lib:$(dirname "$(find "$T/alldest" -name 'libdlz.so.*' | head -1)")" \
      "$T/alldest/usr/bin/dlz" --version 2>&1) && echo "$out" | grep -q "$version"; then
      ok "the installed tool runs ($out)"
    else
      not_ok "the installed tool runs" "$out"
    fi
  else
    not_ok "meson install with -Ddlz:install=enabled"
  fi
else
  not_ok "a project using dlz as a subproject with install and cli enabled builds"
fi

tap_summary
