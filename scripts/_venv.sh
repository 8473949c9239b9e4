# Sourced by scripts/serve and scripts/test: make .venv, install a requirements file once
# (again only when it changes), and put the venv first on PATH.
req="$1"
py="${PYTHON:-python3}"
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Rendezvous needs Python 3.11 or newer; $py is $("$py" --version 2>&1)." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$py" -m venv .venv
stamp=".venv/.installed-$(basename "$req")"
if [ ! -f "$stamp" ] || [ "$req" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
  touch "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
export VIRTUAL_ENV="$PWD/.venv"
# Translation catalogues are compiled here, at set-up, never committed.
.venv/bin/python scripts/compile_messages.py
