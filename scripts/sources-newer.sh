#!/usr/bin/env bash
# What counts as a source of a build here, for ./weft (the CLI) and scripts/aot-sidecar.sh (the AOT sidecar); sourced:
#   sources_newer_than STAMP PATH...   0 when a source under the PATHs (files or directories) is newer than file STAMP
# A source is C#, a project, a proto or a build file (props, targets, json, and the AOT sidecar's method order);
# obj/ and bin/ are build output.
# src/Weft.Cli/Local/SourceTreeSidecar.cs applies the same rule in C# (weft up's staleness check): change both together.
sources_newer_than() {
  local stamp="$1"
  shift
  [ -n "$(find "$@" -newer "$stamp" \( -name '*.cs' -o -name '*.csproj' -o -name '*.proto' -o -name '*.props' \
      -o -name '*.json' -o -name '*.targets' -o -name '*.order' \) -not -path '*/obj/*' -not -path '*/bin/*' -print -quit 2>/dev/null)" ]
}
