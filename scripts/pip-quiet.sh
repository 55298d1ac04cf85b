# Sourced by scripts/setup-env and scripts/update-lock.
# pip_quiet PYTHON ARGS...: runs `PYTHON -m pip --quiet ARGS` and keeps its exit status, with
# one message dropped from its error output. This machine's own pip configuration (not the
# project's: ~/.config/pip/pip.conf) adds local file:// package indexes that hold only a few
# projects, and pip says "WARNING: Location 'file:///...' is ignored: it is neither a file nor
# a directory." once for every other project it looks up there before it takes it from PyPI.
# Only that exact message about a file:// location is dropped; every other warning shows.
PIP_FILE_INDEX_NOISE="^WARNING: Location 'file://[^']*' is ignored: it is neither a file nor a directory\.$"

pip_quiet() {
  local py=$1 status
  shift
  exec 4>&1
  "$py" -m pip --quiet "$@" 2>&1 1>&4 4>&- | { grep -v -E "$PIP_FILE_INDEX_NOISE" || true; } >&2
  status=${PIPESTATUS[0]}
  exec 4>&-
  return "$status"
}
