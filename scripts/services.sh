# Set-up helpers sourced by scripts/run and scripts/test: the project's virtualenv and throwaway
# Redis and PostgreSQL servers. Sourcing defines functions only; nothing runs.
# shellcheck shell=bash

log() { echo "==> $*" >&2; }

millis() { echo $(( $(date +%s%N) / 1000000 )); }

since() { local ms=$(( $(millis) - $1 )); printf '%d.%ds' $(( ms / 1000 )) $(( ms % 1000 / 100 )); }

# ensure_venv ROOT EXTRA: ROOT/.venv with the package installed editable, with [EXTRA] if given.
# Reinstalls only when pyproject.toml changed: the stamp holds its hash and the extra installed
# ("dev" includes everything the plain install has). A lock on pyproject.toml keeps two runs in
# the same tree from installing at once.
ensure_venv() {
    local root=${1:?root} extra=${2:-} venv=$1/.venv stamp want have start spec
    start=$(millis)
    want=$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)
    exec 9<"$root/pyproject.toml"
    flock 9
    have=$(cat "$venv/.diffrisk-installed" 2>/dev/null || true)
    stamp=$venv/.diffrisk-installed
    if [[ -x $venv/bin/python && ($have == "$want $extra" || $have == "$want dev") ]]; then
        exec 9<&-
        log "virtualenv up to date ($(since "$start"))"
        return 0
    fi
    if ! "$venv/bin/python" -c '' 2>/dev/null; then
        log "creating $venv"
        rm -rf "${venv:?}"
        python3 -m venv "$venv"
    fi
    spec=$root${extra:+[$extra]}
    log "installing $spec into .venv"
    rm -f "$stamp"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec" >&2
    echo "$want $extra" >"$stamp"
    exec 9<&-
    log "virtualenv ready ($(since "$start"))"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_bindir() { find /usr/lib/postgresql -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1; }

# Installs Debian's redis-server and postgresql when either is missing (root only).
ensure_server_packages() {
    local missing=()
    command -v redis-server >/dev/null || missing+=(redis-server)
    [[ -x "$(pg_bindir)/initdb" ]] || missing+=(postgresql)
    ((${#missing[@]})) || return 0
    if ((EUID != 0)); then
        log "missing ${missing[*]}: install them, or set REDIS_URL and DATABASE_URL"
        return 1
    fi
    log "installing ${missing[*]} from Debian's packages"
    apt-get update -q >&2 </dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 </dev/null
}

# Installs Debian's chromium for the HTML report's browser tests when it is missing (root only;
# otherwise those tests skip and say how to install it).
ensure_browser() {
    command -v chromium >/dev/null && return 0
    if ((EUID != 0)); then
        log "chromium is missing: the HTML report's browser tests will skip (apt-get install chromium)"
        return 0
    fi
    log "installing chromium from Debian's packages"
    apt-get update -q >&2 </dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2 </dev/null ||
        log "chromium did not install: the HTML report's browser tests will skip"
}

# wait_until SECONDS PID COMMAND...: poll COMMAND until it succeeds; fail if PID dies or time runs out.
wait_until() {
    local deadline=$(( $(millis) + $1 * 1000 )) pid=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || return 1
        (( $(millis) < deadline )) || return 1
        sleep 0.1
    done
}

# start_redis DIR: a Redis on a free port that keeps nothing on disk; sets REDIS_URL and REDIS_PID.
start_redis() {
    local dir=$1/redis port
    port=$(free_port)
    mkdir -p "$dir"
    setpriv --pdeathsig TERM -- redis-server --bind 127.0.0.1 --port "$port" --save "" \
        --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
    REDIS_PID=$!
    if ! wait_until 10 "$REDIS_PID" redis-cli -p "$port" ping; then
        cat "$dir/redis.log" >&2
        log "Redis did not start"
        return 1
    fi
    REDIS_URL=redis://127.0.0.1:$port/0
}

# as_postgres COMMAND...: exec COMMAND as the postgres user when root (PostgreSQL refuses to run
# as root), with SIGINT, its fast shutdown, sent to it should the script die without cleaning up.
as_postgres() {
    if ((EUID == 0)); then
        exec setpriv --pdeathsig INT --reuid=postgres --regid=postgres --init-groups -- "$@"
    fi
    exec setpriv --pdeathsig INT -- "$@"
}

# start_postgres DIR: a PostgreSQL on a free port, trust auth, no fsync; sets DATABASE_URL, PG_PID.
start_postgres() {
    local dir=$1/postgres bin port
    bin=$(pg_bindir)
    port=$(free_port)
    mkdir -p "$dir/sock"
    ((EUID != 0)) || chown -R postgres:postgres "$dir"
    chmod 700 "$dir"
    (cd "$dir" && as_postgres "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
        --locale=C --no-sync --no-instructions >"$dir/initdb.log" 2>&1) || {
        cat "$dir/initdb.log" >&2
        log "initdb failed"
        return 1
    }
    (cd "$dir" && as_postgres "$bin/postgres" -D "$dir/data" -h 127.0.0.1 -p "$port" \
        -k "$dir/sock" -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        >"$dir/postgres.log" 2>&1) &
    PG_PID=$!
    if ! wait_until 30 "$PG_PID" "$bin/pg_isready" -h 127.0.0.1 -p "$port"; then
        cat "$dir/postgres.log" >&2
        log "PostgreSQL did not start"
        return 1
    fi
    DATABASE_URL=postgresql://postgres@127.0.0.1:$port/postgres
}

# stop_process PID SIGNAL: send SIGNAL, wait up to 10 s, then kill.
stop_process() {
    local pid=$1 i
    kill "-$2" "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# start_services: throwaway Redis / PostgreSQL for whichever of REDIS_URL / DATABASE_URL is unset.
# Pair it with `trap stop_services EXIT`.
start_services() {
    [[ -z ${REDIS_URL:-} || -z ${DATABASE_URL:-} ]] || return 0
    local start
    start=$(millis)
    ensure_server_packages
    SERVICES_DIR=$(mktemp -d /tmp/diffrisk-services.XXXXXX)
    chmod 711 "$SERVICES_DIR"
    if [[ -z ${REDIS_URL:-} ]]; then
        start_redis "$SERVICES_DIR"
        export REDIS_URL
        log "throwaway Redis at $REDIS_URL"
    fi
    if [[ -z ${DATABASE_URL:-} ]]; then
        start_postgres "$SERVICES_DIR"
        export DATABASE_URL
        log "throwaway PostgreSQL at $DATABASE_URL"
    fi
    log "services ready ($(since "$start"))"
}

stop_services() {
    [[ -z ${PG_PID:-} ]] || stop_process "$PG_PID" INT  # SIGINT: PostgreSQL's fast shutdown
    [[ -z ${REDIS_PID:-} ]] || stop_process "$REDIS_PID" TERM
    [[ -z ${SERVICES_DIR:-} ]] || rm -rf "$SERVICES_DIR"
    PG_PID='' REDIS_PID='' SERVICES_DIR=''
}
