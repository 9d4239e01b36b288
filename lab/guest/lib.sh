# Guest-side helpers for scenario scripts (busybox sh; sourced before the
# scenario). ROLE is server or client; results go to $OUT on the 9p share.
OUT=/share/$ROLE
IP=/opt/bin/ip
RDMA=/opt/bin/rdma
TCPDUMP=/opt/bin/tcpdump
TC=/opt/bin/tc
SMC=/opt/bin/smc-analyze
SERVER4=10.0.0.1
SERVER6=fd00:0::1

step() {
    echo "$*" >>"$OUT/steps"
    echo "LAB-STEP $ROLE: $*" >/dev/console
}

die() {
    step "FAILED: $*"
    exit 1
}

# rxe_add ETH: a soft-RoCE device named rxe<N> on top of eth<N>.
rxe_add() {
    step "rdma link add rxe${1#eth} on $1"
    $RDMA link add "rxe${1#eth}" type rxe netdev "$1" || die "rdma link add on $1"
}

# ueid_add NAME: a user-defined EID; both peers need a common one for SMC-Rv2.
ueid_add() {
    step "ueid add $1"
    $SMC ueid add "$1" || die "ueid add $1"
}

# netem_delay IFACE DELAY: every packet out of IFACE waits DELAY (netem; the
# lab kernel has it, Debian's module set here does not).
netem_delay() {
    step "netem delay $2 on $1"
    $TC qdisc add dev "$1" root netem delay "$2" || die "netem on $1"
}

# smc_sysctl NAME VALUE: set net.smc.NAME, failing loudly if the kernel lacks it.
smc_sysctl() {
    step "sysctl net.smc.$1=$2"
    sysctl -w "net.smc.$1=$2" >/dev/null || die "sysctl net.smc.$1=$2"
}

# cap_start ETH...: one tcpdump per interface, full frames, pcap to the share.
# Waits until each has opened its socket so no packet is missed.
cap_start() {
    local ifc
    for ifc in "$@"; do
        step "capture on $ifc"
        $TCPDUMP -i "$ifc" -s 0 -U -Z root -w "$OUT/$ifc.pcap" 2>"/tmp/tcpdump-$ifc.log" &
        echo $! >>/tmp/tcpdump.pids
    done
    for ifc in "$@"; do
        local n=0
        until grep -q listening "/tmp/tcpdump-$ifc.log"; do
            n=$((n + 1))
            [ $n -gt 100 ] && die "tcpdump on $ifc did not start: $(cat /tmp/tcpdump-$ifc.log)"
            sleep 0.1
        done
    done
}

# cap_stop: SIGINT makes tcpdump flush and close its files.
cap_stop() {
    step "capture stop"
    local p
    for p in $(cat /tmp/tcpdump.pids); do kill -INT "$p"; done
    for p in $(cat /tmp/tcpdump.pids); do wait "$p"; done
    cat /tmp/tcpdump-*.log >>"$OUT/tcpdump.log"
    rm -f /tmp/tcpdump.pids
}

# Peers synchronise through files in the shared directory, not the network,
# so the capture holds only the scenario's traffic.
signal() {
    step "signal $1"
    touch "/share/sync/$1"
}

# await NAME [SECONDS]
await() {
    local n=0 limit=$((${2:-60} * 10))
    step "await $1"
    until [ -e "/share/sync/$1" ]; do
        n=$((n + 1))
        [ $n -gt $limit ] && die "timed out waiting for $1"
        sleep 0.1
    done
}

# workload ARGS...: the smc-analyze binary (or $WORKLOAD=/opt/bin/mini-smc where
# a scenario needs what only the stand-in does), output kept in $OUT/workload.txt.
workload() {
    local bin=${WORKLOAD:-$SMC} name
    name=$(cat /share/workload-name)
    [ "$bin" = "$SMC" ] || name=mini-smc
    step "$name $*"
    echo "\$ $name $*" >>"$OUT/workload.txt"
    $bin "$@" >>"$OUT/workload.txt" 2>&1
    local rc=$?
    echo "(exit $rc)" >>"$OUT/workload.txt"
    return $rc
}

# serve ARGS...: run the workload server until it exits, telling the client
# when it listens; then wait for the client to finish capturing.
serve() {
    workload server "$@" &
    local pid=$!
    sleep 1 # time to bind and listen
    signal server-ready
    wait $pid || die "server workload failed"
    await client-done 120
}

# capture_client ARGS...: once the server listens, capture on $CAPTURE_IFS
# (default eth0) around one workload client run. SETTLE seconds after the
# client let the close (CDC, DELETE_RKEY) reach the capture.
capture_client() {
    await server-ready
    cap_start ${CAPTURE_IFS:-eth0}
    workload client "$@"
    local rc=$?
    sleep "${SETTLE:-2}"
    cap_stop
    signal client-done
    [ $rc -eq 0 ] || die "client workload failed"
}

# local_pair "SERVER ARGS" ADDR CLIENT ARGS...: both ends in this VM (SMC-D
# over loopback-ism): the workload server on port 5000 in the background, the
# client to ADDR captured on lo, then the server's own end.
local_pair() {
    local server_args=$1 addr=$2 server
    shift 2
    # shellcheck disable=SC2086 # the server's arguments, split on purpose
    serve --port 5000 $server_args &
    server=$!
    CAPTURE_IFS=lo capture_client "$addr" 5000 "$@"
    wait $server || die "server failed"
}
