#!/usr/bin/env bash
# Print the path of a Python 3.12 or newer, or explain and fail. Used by the Makefile.
set -u
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
candidates+=(python3.14 python3.13 python3.12)
for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]* "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.[2-9][0-9]*; do
  [ -x "$dir/bin/python" ] && candidates+=("$dir/bin/python")
done
candidates+=(python3 python)
for candidate in "${candidates[@]}"; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if "$path" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
    echo "$path"
    exit 0
  fi
done
echo "OpenAudience needs Python 3.12 or newer, and none was found." >&2
echo "Install one (for example 'pyenv install 3.12') or point PYTHON at it: make demo PYTHON=/path/to/python3.12" >&2
exit 1
